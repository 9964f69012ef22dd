"""Names from name lists, gated by shape, part of speech and English vocabulary.

spaCy's small model misses names it has not seen in context: foreign names (``Einojuhani
Pyysalo``), names in lists (``Isabel, Teresa and Jodi``), a surname alone (``Magnusson``)
and lowercase names (``patricia desrosiers``). A word from the name lists
(:mod:`clinvault.phi.name_lexicon`) counts as evidence of a name when it is shaped like
one, and only strong evidence when it is not also an English word (``Derek`` yes,
``Grace`` no):

- a full name: a listed first name followed by capitalized words, initials or particles
  (``Ella H. Snider``, ``Willemine ten Pas``), when some part is strong evidence;
- a capitalized listed name that is not an English word, tagged as a noun; one that is
  also a word (``Todd``, ``Logan``) only when tagged a proper noun inside a sentence;
- lowercase: a listed first name followed by a listed surname (optionally an initial in
  between), not both English words, neither a function word.

The allow-list (eponyms, drugs) is applied by the detector afterwards, as for every NAME.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from clinvault.phi.base import PhiType, Span
from clinvault.phi.name_lexicon import NameLexicon
from clinvault.phi.spans import make_span

PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "ten", "ter", "da", "das", "do", "dos", "del", "di"}
    | {"la", "le", "du", "bin", "ibn", "al", "el", "y", "mac", "st"}
)
NOUNISH = frozenset({"NNP", "NNPS", "NN", "NNS", "FW", "JJ", "UH", "VB", "VBN", "VBD"})
PROPER = frozenset({"NNP", "NNPS"})
CALENDAR_WORDS = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december", "monday", "tuesday", "wednesday"}
    | {"thursday", "friday", "saturday", "sunday", "christmas", "easter"}
)
NOT_PERSON_ENTITIES = frozenset({"GPE", "LOC", "FAC", "ORG", "NORP", "PRODUCT", "WORK_OF_ART"})
MAX_PARTS = 4
MIN_SINGLE = 3
"""A name alone needs three letters: ``Na`` and ``Ca`` are also electrolytes."""
FULL_NAME_SCORE = 0.75
SINGLE_NAME_SCORE = 0.6
LOWERCASE_SCORE = 0.6
LISTED_PROPER_NOUN_SCORE = 0.5


def is_word(token: Token) -> bool:
    text = token.text.replace("'", "").replace("’", "").replace("-", "")
    return len(text) >= 2 and text.isalpha()


def is_capitalized(token: Token) -> bool:
    """``Derek``, ``McDonald``, ``Šušulić``; not ``OULU`` or ``I``."""
    return is_word(token) and token.text[0].isupper() and any(c.islower() for c in token.text)


def is_initial(token: Token) -> bool:
    text = token.text.rstrip(".")
    return len(text) == 1 and text.isalpha() and text.isupper()


def same_line(tokens: Sequence[Token] | SpacySpan) -> bool:
    return all("\n" not in t.whitespace_ for t in list(tokens)[:-1])


class NameLexiconRecognizer:
    name = "name-lexicon"

    def __init__(self, lexicon: NameLexicon) -> None:
        self.lexicon = lexicon

    def find(self, text: str, doc: Doc) -> list[Span]:
        found: list[Span] = []
        index = 0
        while index < len(doc):
            end = self._full_name_end(doc, index) or self._lowercase_name_end(doc, index)
            if end:
                score = FULL_NAME_SCORE if doc[index].text[0].isupper() else LOWERCASE_SCORE
                self._add(found, text, doc[index], doc[end - 1], score)
                index = end
                continue
            if self._single_name(doc[index]):
                self._add(found, text, doc[index], doc[index], SINGLE_NAME_SCORE)
            elif self._listed_proper_noun(doc[index]):
                self._add(found, text, doc[index], doc[index], LISTED_PROPER_NOUN_SCORE)
            index += 1
        return found

    def _strong(self, token: Token) -> bool:
        return self.lexicon.is_name(token.text) and not self.lexicon.is_english(token.text)

    def _full_name_end(self, doc: Doc, start: int) -> int:
        first = doc[start]
        if not (is_capitalized(first) and self.lexicon.is_first_name(first.text)):
            return 0
        end = start + 1
        parts = [first]
        while end < len(doc) and len(parts) < MAX_PARTS:
            token = doc[end]
            if "\n" in doc[end - 1].whitespace_ or not doc[end - 1].whitespace_:
                break
            if is_capitalized(token) or is_initial(token):
                parts.append(token)
            elif token.text.casefold() in PARTICLES and end + 1 < len(doc):
                if not is_capitalized(doc[end + 1]):
                    break
                parts.append(token)
            else:
                break
            end += 1
        while len(parts) > 1 and not is_capitalized(parts[-1]) and not is_initial(parts[-1]):
            parts.pop()
        if len(parts) < 2 or not any(is_capitalized(p) for p in parts[1:]):
            return 0
        words = [p for p in parts if is_capitalized(p)]
        return start + len(parts) if any(self._strong(w) for w in words) else 0

    def _lowercase_name_end(self, doc: Doc, start: int) -> int:
        first = doc[start]
        if not (first.is_lower and is_word(first) and self.lexicon.is_first_name(first.text)):
            return 0
        last_index = start + 1
        if last_index < len(doc) and len(doc[last_index].text.rstrip(".")) == 1:
            last_index += 1  # a middle initial
        if last_index >= len(doc):
            return 0
        last = doc[last_index]
        pair = (first, last)
        if not (last.is_lower and is_word(last) and self.lexicon.is_surname(last.text)):
            return 0
        if not same_line(doc[start : last_index + 1]):
            return 0
        if any(t.is_stop or t.tag_ not in NOUNISH for t in pair):
            return 0
        if all(self.lexicon.is_english(t.text) for t in pair):
            return 0
        return last_index + 1

    def _single_name(self, token: Token) -> bool:
        return (
            len(token.text) >= MIN_SINGLE
            and is_capitalized(token)
            and self._strong(token)
            and token.tag_ in NOUNISH
            and not token.is_stop
        )

    def _listed_proper_noun(self, token: Token) -> bool:
        """``shouted at Todd``: a listed first name that is also a word (a unit, a saint,
        a mountain) counts when tagged a proper noun inside a sentence and not taken by
        NER for a place or an organization (``Canada`` is a surname too)."""
        previous = token.nbor(-1) if token.i > 0 else None
        return (
            len(token.text) >= MIN_SINGLE
            and is_capitalized(token)
            and self.lexicon.is_first_name(token.text)
            and token.tag_ in PROPER
            and token.ent_type_ not in NOT_PERSON_ENTITIES
            and not token.is_stop
            and previous is not None
            and not token.is_sent_start
            and previous.is_alpha
            and "\n" not in previous.whitespace_
            and token.text.casefold() not in CALENDAR_WORDS
        )

    def _add(self, found: list[Span], text: str, first: Token, last: Token, score: float) -> None:
        span = make_span(text, first.idx, last.idx + len(last.text), PhiType.NAME, score, self.name)
        if span is not None:
            found.append(span)
