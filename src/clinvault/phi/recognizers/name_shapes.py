"""Names told by their shape rather than by a list or a cue word.

- An initialed name: a word, a single-letter middle initial and a word (``Ravil G Yefimov``,
  ``Sari J. Paavolainen``, ``leidy t muris``). Clinical text has the same shape in
  ``Hepatitis B Vaccine`` or ``vitamin d deficiency``, so each outer word must be a listed
  name or not an English word at all; lowercase, one of them must be a listed name.
- The name line of a contact block: the short line just above a street address, and the
  first line of the block of short lines that ends in it (a letter's or a signature's
  ``Mijail C Adomo`` / ``Asc Partners`` / ``935 Gordon Terrace``), when every word of it
  is a listed name or not an English word.
- A digit-suffixed name: Synthea writes names with a number appended (``Dustin31``,
  ``Marine542 Ai120``). A capitalized word of three letters or more followed directly by
  two digits or more is a name when the word is a listed name that the allow-list does
  not keep (``Lipitor20`` is a drug); the other title-case digit-suffixed words next to
  it are its other parts. Codes are not title case (``COVID19``, ``HbA1c``, ``B12``) or
  not names (``Type2``, ``Hgb12``, ``Covid19``), and decimals are no suffix (``Hgb12.5``).

The allow-list (eponyms, drugs) is applied by the detector afterwards, as for every NAME.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from spacy.lang.en.stop_words import STOP_WORDS

from clinvault.phi.allow_list import AllowList
from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.name_lexicon import NameLexicon
from clinvault.phi.recognizers.person_cues import is_cue_word
from clinvault.phi.spans import make_span

WORD = r"[^\W\d_][\w'’\-]*[^\W\d_]"
INITIALED = re.compile(
    rf"(?<![\w.\-])(?P<first>{WORD})[ \t]+(?P<initial>[^\W\d_])\.?[ \t]+(?P<last>{WORD})(?![\w\-])"
)
INITIALED_SCORE = 0.7
CONTACT_LINE_SCORE = 0.7
CONTACT_BLOCK = "contact-block"
DIGIT_SUFFIXED_SCORE = 0.75
BLOCK_LINES = 4
"""How many short lines above an address still belong to its contact block."""
SHORT_LINE = 50
LINE_PREFIX = re.compile(r"[\s>?*•\-–|]*")
NAME_LINE = re.compile(rf"^{WORD}(?:[ \t]+(?:{WORD}|[^\W\d_]\.?)){{1,3}}$")
DIGIT_SUFFIXED = re.compile(r"(?<![\w\-])(?P<word>[^\W\d_]{2,})\d{2,}(?![\w\-]|[.,/]\d)")
"""``Dustin31``: the letters of a word, then two digits or more (not ``Hgb12.5``)."""
DIGIT_SUFFIXED_RUN = re.compile(
    rf"{DIGIT_SUFFIXED.pattern}(?:[ \t]+{DIGIT_SUFFIXED.pattern.replace('?P<word>', '')})*"
)
"""A given name and a family name, each digit-suffixed: ``Marine542 Ai120``."""
MIN_DIGIT_SUFFIXED = 3
MIN_STEM = 3


def _bare(word: str) -> str:
    return word.replace("'", "").replace("’", "").replace("-", "")


INFLECTIONS = ("s", "es", "ed", "d", "ing", "ly")


def _english(lexicon: NameLexicon, word: str) -> bool:
    """An English word or an inflection of one (the word list holds lemmas only:
    ``picked``, ``houses``)."""
    folded = word.casefold()
    stems = [folded[: -len(end)] for end in INFLECTIONS if folded.endswith(end)]
    return any(lexicon.is_english(w) for w in [folded, *stems] if len(w) >= MIN_STEM)


def name_like(lexicon: NameLexicon, word: str) -> bool:
    """A listed name, or a word of no English (nor a function word, a title or a relation)."""
    if word.casefold() in STOP_WORDS or is_cue_word(word) or not _bare(word).isalpha():
        return False
    return lexicon.is_name(word) or not _english(lexicon, word)


class InitialedNameRecognizer:
    name = "name-initialed"

    def __init__(self, lexicon: NameLexicon) -> None:
        self._lexicon = lexicon

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        position = 0
        while (match := INITIALED.search(text, position)) is not None:
            position = match.start("initial")
            if self._is_name(match.group("first"), match.group("initial"), match.group("last")):
                span = make_span(
                    text, match.start(), match.end(), PhiType.NAME, INITIALED_SCORE, self.name
                )
                if span is not None:
                    found.append(span)
                    position = match.end()
        return found

    def _is_name(self, first: str, initial: str, last: str) -> bool:
        if initial.casefold() in STOP_WORDS:
            return False  # ``picked a fine``, ``said I would``
        if not (name_like(self._lexicon, first) and name_like(self._lexicon, last)):
            return False
        if first[0].isupper() and initial.isupper() and last[0].isupper():
            return True
        lowercase = first.islower() and initial.islower() and last.islower()
        return lowercase and (self._lexicon.is_first_name(first) or self._lexicon.is_surname(last))


def _line_bounds(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


def _content_start(text: str, start: int, end: int) -> int:
    prefix = LINE_PREFIX.match(text, start, end)
    return prefix.end() if prefix is not None else start


def _block_lines(text: str, address: Span) -> list[tuple[int, int]]:
    """The short non-empty lines above ``address`` (nearest first) when the address opens
    its line; empty when it does not."""
    start, end = _line_bounds(text, address.start)
    if _content_start(text, start, end) != address.start:
        return []
    lines: list[tuple[int, int]] = []
    while start > 0 and len(lines) < BLOCK_LINES:
        start, end = _line_bounds(text, start - 1)
        content = _content_start(text, start, end)
        line = text[content:end].strip()
        if not line or len(line) > SHORT_LINE or line.endswith((".", "!", "?", ":")):
            break
        lines.append((content, content + len(line)))
    return lines


def contact_block_names(text: str, addresses: Iterable[Span], lexicon: NameLexicon) -> list[Span]:
    """Name lines of contact blocks that end in one of ``addresses``."""
    found: list[Span] = []
    for address in addresses:
        lines = _block_lines(text, address)
        for start, end in {lines[0], lines[-1]} if lines else set():
            line = text[start:end]
            words = [w for w in line.split() if len(w.rstrip(".")) > 1]
            if NAME_LINE.match(line) and len(words) >= 2:
                capitalized = all(w[0].isupper() for w in words)
                lowercase = line.islower() and any(lexicon.is_name(w) for w in words)
                if (capitalized or lowercase) and all(name_like(lexicon, w) for w in words):
                    span = make_span(
                        text, start, end, PhiType.NAME, CONTACT_LINE_SCORE, CONTACT_BLOCK
                    )
                    if span is not None:
                        found.append(span)
    return found


class DigitSuffixedNameRecognizer:
    """``Dustin31``, ``Marine542 Ai120``: Synthea's names with a number appended."""

    name = "name-digit-suffixed"

    def __init__(self, lexicon: NameLexicon, allow: AllowList) -> None:
        self._lexicon = lexicon
        self._allow = allow

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for match in DIGIT_SUFFIXED_RUN.finditer(text):
            words = [m.group("word") for m in DIGIT_SUFFIXED.finditer(match.group())]
            if not all(_title_case(w) for w in words) or not any(self._named(w) for w in words):
                continue
            span = make_span(
                text, match.start(), match.end(), PhiType.NAME, DIGIT_SUFFIXED_SCORE, self.name
            )
            if span is not None:
                found.append(span)
        return found

    def _named(self, word: str) -> bool:
        return (
            len(word) >= MIN_DIGIT_SUFFIXED
            and self._lexicon.is_name(word)
            and not self._allow.allows(word, regions=[])
            and word.casefold() not in STOP_WORDS
        )


def _title_case(word: str) -> bool:
    """``Dustin``, not ``COVID``, ``HbA`` or ``mRNA``."""
    return word[0].isupper() and (len(word) == 1 or word[1:].islower())
