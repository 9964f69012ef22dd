"""Names signalled by the words around them: titles, relations, roles, introductions.

``Dr. Okafor``, ``daughter Maria``, ``spoke with Ann Lee``, ``signed by J. Ruiz``,
``Name: Martim A Pereira``: the cue is kept, the capitalized words after it become NAME.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.lang.en.stop_words import STOP_WORDS

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.spans import make_span, name_core

TITLE = r"(?:dr|doctor|mr|mrs|ms|miss|mx|prof|professor|sister|nurse|rev|fr)\.?"
RELATION = (
    r"(?:son|daughter|wife|husband|mother|mom|father|dad|brother|sister|spouse|partner"
    r"|friend|neighbou?r|caregiver|guardian|aunt|uncle|niece|nephew|grandson|granddaughter"
    r"|grandmother|grandfather|grandma|grandpa|cousin|fianc[ée]e?|boyfriend|girlfriend"
    r"|roommate|kid|child|baby|stepson|stepdaughter|proxy|poa)(?:'s)?(?:\s*,)?"
)
AUTHORED = (
    r"(?:dictated|transcribed|reviewed|ordered|prescribed|examined|treated|performed|written"
    r"|authored|approved|evaluated|covered|directed|produced|interpreted|read|verified)"
)
"""``Dictated by``, ``Reviewed by:``, ``Directed By:``: a person's name follows."""
INTRODUCTION = (
    r"(?:name\s+is|name:|name\?|named|calls?\s+me|called|i\s+am|i'm|this\s+is|spoke\s+(?:with|to)"
    r"|talked\s+(?:with|to)|discussed\s+with|seen\s+by|signed\s+by|signed:|attending:?"
    r"|resident:?|provider:?|pcp:?|referred\s+by|referred\s+to|contact:?|cc:?|caller:?"
    r"|emergency\s+contact:?|informant:?|accompanied\s+by|visited\s+by"
    rf"|{AUTHORED}\s+by:?)"
)
POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
NAME_WORD = r"[^\W\d_][\w'’\-]*"
NAME_RUN = rf"(?P<name>{NAME_WORD}(?:\s+(?:{NAME_WORD}|[^\W\d_]\.)){{0,3}})"
INTRODUCED = re.compile(
    r"^(?:name\s+is|name:|name\?|named|calls?\s+me|called|i\s+am|i'm)", re.IGNORECASE
)
LEADING_CUE = re.compile(rf"(?:(?:{TITLE}|{RELATION})\s+)+", re.IGNORECASE)
CUE = re.compile(
    rf"\b(?:{TITLE}|{RELATION}|{INTRODUCTION})(?:[ \t]+(?:{TITLE}|{RELATION}))*[ \t]+{NAME_RUN}",
    re.IGNORECASE,
)


class PersonCueRecognizer:
    """``is_word`` tells English words; after an introduction (``my name is``, ``call me``)
    a lowercase word that is not one is a name too (``call me višeslav``)."""

    name = "person-cue"

    def __init__(self, is_word: Callable[[str], bool] | None = None) -> None:
        self._is_word = is_word

    def _name_word(self, word: str, *, introduced: bool) -> bool:
        if word[0].isupper():
            return True
        bare = POSSESSIVE.sub("", word.rstrip(".,;:!?\"'"))
        return (
            introduced
            and self._is_word is not None
            and bare.isalpha()
            and bare.casefold() not in STOP_WORDS
            and not self._is_word(bare)
        )

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        position = 0
        while (match := CUE.search(text, position)) is not None:
            # the next search starts at the name run, not after it: in ``grandfather was
            # called Djevad`` the cue ``grandfather`` finds no name but ``called`` does
            position = match.start("name")
            start = match.start("name")
            end = start
            introduced = INTRODUCED.search(match.group()) is not None
            for word in re.finditer(r"\S+", match.group("name")):
                if not self._name_word(word.group(), introduced=introduced):
                    break
                end = start + word.end()
            span = make_span(text, start, end, PhiType.NAME, 0.75, self.name)
            if span is not None:
                span = strip_leading_cue(text, span)
            if span is not None:
                span = name_core(text, span)
            if span is not None and not is_cue_word(span.text):
                found.append(span)
        return found


def strip_leading_cue(text: str, span: Span) -> Span | None:
    """``Daughter Maria Lopez`` -> ``Maria Lopez``: NER often swallows the cue word."""
    match = LEADING_CUE.match(span.text)
    if match is None:
        return span
    return make_span(text, span.start + match.end(), span.end, span.type, span.score, span.source)


CUE_WORD = re.compile(rf"^(?:{TITLE}|{RELATION})$", re.IGNORECASE)


def is_cue_word(word: str) -> bool:
    """``Dr``, ``Mrs``, ``Daughter``: words around names that are not names."""
    return CUE_WORD.match(word) is not None
