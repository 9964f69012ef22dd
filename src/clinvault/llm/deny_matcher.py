"""One compiled matcher per deny-value set, for the egress guard.

The guard used to test each deny value on its own (a substring test, then ``re.search`` with
the value's pattern string, compiled through ``re``'s 512-entry cache): with a few hundred
values per patient that is a few hundred scans of every prompt text and, across patients,
cache thrash. ``DenyMatcher`` compiles a patient's whole set once: three Aho-Corasick automata
(``pyahocorasick``) find every value's needle in one pass over the whitespace-collapsed text
(case-sensitive short values), its case-folded form (other values) and the folded form with
separators squeezed out (digit values); only the values whose needle occurs are then confirmed
with their own precompiled pattern (word boundaries, digit boundaries, separators). The
semantics are the old matcher's exactly (``tests/llm/test_egress_matcher.py`` keeps the old
matcher as the oracle):

- values made of digits and separators with at least 4 digits match whatever separators the
  text uses (``555-123-4567`` also hits ``(555) 123 4567``), not inside a longer number;
- values of at most ``CASE_SENSITIVE_UPTO`` characters match only in their own case, as whole
  words;
- other values match case-insensitively with whitespace normalized, as whole words when they
  are shorter than ``SHORT_VALUE`` characters.

``DenyMatcherCache`` keeps the compiled matchers of the most recent deny-value sets, keyed by
the set's content (a patient whose values change gets a new key, so a stale matcher is never
used); it lives on the guard instance, not in the module.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick  # type: ignore[import-not-found]

SHORT_VALUE = 6
"""Deny values shorter than this (in characters) only match as whole words."""
CASE_SENSITIVE_UPTO = 3
"""Deny values this short match only in their own case (as in ``vault.identifiers``)."""

_WHITESPACE = re.compile(r"\s+")
_DIGITS_AND_SEPARATORS = re.compile(r"[\d\s().+/-]+")
_SEPARATORS = re.compile(r"[\s().+/-]+")
_NON_DIGITS = re.compile(r"\D")
_SQUEEZE = str.maketrans("", "", " ().+/-")
"""``_SEPARATORS`` on whitespace-collapsed text, as a deletion table."""


def _word_start(first: str) -> str:
    """``(?<!\\w)`` + ``first`` written with the look-behind after the first character, so
    that ``re`` can skip ahead to where that character occurs instead of trying every
    position (same language)."""
    return first + r"(?<!\w" + first + ")"


def _digit_start(digit: str) -> str:
    """``(?<!\\d)`` + ``digit``, look-behind after the digit (same language)."""
    return digit + r"(?<!\d" + digit + ")"


@dataclass(frozen=True, slots=True)
class NormalizedText:
    spaced: str  # whitespace collapsed
    folded: str  # and case-folded
    squeezed: str  # and separators removed

    @classmethod
    def of(cls, text: str) -> NormalizedText:
        # " ".join(split()) is _WHITESPACE.sub(" ", text).strip() (the same whitespace class)
        # without a regex pass; the folded text's only whitespace left is " ", so squeezing
        # the separators is a translate
        spaced = " ".join(text.split())
        folded = spaced.casefold()
        return cls(spaced, folded, folded.translate(_SQUEEZE))


_SPACED, _FOLDED, _SQUEEZED = 0, 1, 2
"""Which normalized text a value's needle is searched in."""


@dataclass(frozen=True, slots=True)
class _Rule:
    """One deny value: its ``needle`` must occur in the text form ``where``; ``confirm`` (if
    any) must then match the spaced (case-sensitive values) or folded text."""

    needle: str
    where: int
    confirm: str | None


def _rule(value: str) -> _Rule | None:
    spaced = _WHITESPACE.sub(" ", value).strip()
    normalized = spaced.casefold()
    if not normalized:
        return None
    digits = _NON_DIGITS.sub("", normalized)
    if _DIGITS_AND_SEPARATORS.fullmatch(normalized) and len(digits) >= 4:
        rest = r"[\s().+/-]*".join(digits[1:])
        first = _digit_start(re.escape(digits[0]))
        return _Rule(digits, _SQUEEZED, first + r"[\s().+/-]*" + rest + r"(?!\d)")
    if len(spaced) <= CASE_SENSITIVE_UPTO:
        body = _word_start(re.escape(spaced[0])) + re.escape(spaced[1:])
        return _Rule(spaced, _SPACED, body + r"(?!\w)")
    if len(normalized) < SHORT_VALUE:
        rest = re.escape(normalized[1:]).replace(r"\ ", " ")
        body = _word_start(re.escape(normalized[0])) + rest
        return _Rule(normalized, _FOLDED, body + r"(?!\w)")
    return _Rule(normalized, _FOLDED, None)  # the needle occurring is the match


class DenyMatcher:
    """A deny-value set compiled once; ``hits(text)`` says whether the text holds any value."""

    __slots__ = ("_automata", "size")

    def __init__(self, values: Sequence[str]) -> None:
        confirms: list[dict[str, set[str | None]]] = [{}, {}, {}]
        for value in values:
            rule = _rule(value)
            if rule is not None:
                confirms[rule.where].setdefault(rule.needle, set()).add(rule.confirm)
        self._automata: list[tuple[int, Any] | None] = []
        for where, needles in enumerate(confirms):
            if not needles:
                self._automata.append(None)
                continue
            automaton = ahocorasick.Automaton()
            for needle, patterns in needles.items():
                compiled = tuple(
                    None if p is None else re.compile(p) for p in sorted(patterns, key=str)
                )
                automaton.add_word(needle, compiled)
            automaton.make_automaton()
            self._automata.append((where, automaton))
        self.size = sum(len(n) for n in confirms)

    def hits(self, text: str) -> bool:
        normalized = NormalizedText.of(text)
        forms = (normalized.spaced, normalized.folded, normalized.squeezed)
        for entry in self._automata:
            if entry is None:
                continue
            where, automaton = entry
            target = normalized.spaced if where == _SPACED else normalized.folded
            tried: set[re.Pattern[str]] = set()
            for _end, patterns in automaton.iter(forms[where]):
                for pattern in patterns:
                    if pattern is None:
                        return True
                    if pattern not in tried:
                        tried.add(pattern)
                        if pattern.search(target) is not None:
                            return True
        return False


class DenyMatcherCache:
    """The compiled matchers of the ``maxsize`` most recently used deny-value sets."""

    def __init__(self, maxsize: int = 256) -> None:
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._matchers: OrderedDict[tuple[str, ...], DenyMatcher] = OrderedDict()

    def get(self, values: Sequence[str]) -> DenyMatcher:
        key = tuple(values)
        with self._lock:
            matcher = self._matchers.get(key)
            if matcher is not None:
                self._matchers.move_to_end(key)
                return matcher
        matcher = DenyMatcher(key)  # compiled outside the lock; a race compiles twice, harmlessly
        with self._lock:
            self._matchers[key] = matcher
            self._matchers.move_to_end(key)
            while len(self._matchers) > self._maxsize:
                self._matchers.popitem(last=False)
        return matcher

    def __len__(self) -> int:
        with self._lock:
            return len(self._matchers)
