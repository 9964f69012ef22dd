"""Known identifiers of one patient, and the fast matcher that replaces them in text.

Values are collected from the patient's own resources by the policy (names and name
forms, identifiers, telecom, address parts, relatives) and from linked practitioners and
organisations. Three kinds of value are matched three ways, all in one pass over the text:

- single words (a name part, an MRN, an email, a record number): every word of the text
  (and each part of a hyphenated or dotted word) is looked up in a dictionary;
- several words (a full name, an address line, a facility): one compiled alternation,
  rebuilt only after enough new values, the newest few matched by a pattern of their own;
- phone numbers: a pattern per number tolerant of separators and a leading country code.

Short values (3 characters or fewer, e.g. a given name "An") match case-sensitively so that
they do not erase every "an" in a note; everything else matches case-insensitively.

Source ids are identifiers only when they read as codes (:func:`is_code_like`): ``f201``,
``pat1``, a uuid or a long number, at any length. An id that is a plain word (``example``)
or a short number (``150``) cannot be told from the same word or clinical value in a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from clinvault.vault.tokens import normalize

SHORT_PART = 3
MIN_LENGTH = 2
MIN_NUMBER_DIGITS = 5
PHONE_KIND = "PHONE"
RECOMPILE_AFTER = 32
WORD_RE = re.compile(r"[^\W_](?:[\w.@+\-/']*[^\W_])?")
SUBWORD_SPLIT = re.compile(r"[-./']")
BOUND = r"(?<![\w@.\-/])(?:{})(?![\w@]|\.\w|-\w)"


@dataclass(frozen=True, slots=True)
class KnownValue:
    kind: str
    value: str


def is_code_like(value: str) -> bool:
    """Whether ``value`` reads as a code, not a word or a clinical number: it holds a digit
    and either a letter (``f201``, ``pat1``, ``infant-twin-1``, a uuid) or at least
    ``MIN_NUMBER_DIGITS`` digits (``123456``). ``example`` and ``150`` are not."""
    digits = sum(ch.isdigit() for ch in value)
    return digits > 0 and (any(ch.isalpha() for ch in value) or digits >= MIN_NUMBER_DIGITS)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _is_phone(kind: str, value: str) -> bool:
    return kind == PHONE_KIND and len(_digits(value)) >= 7


def _phone_pattern(digits: str) -> str:
    core = digits[-10:]
    if len(core) == 10:
        return r"(?:\+?1[\s.-]?)?\(?" + core[:3] + r"\)?[\s.-]*" + core[3:6] + r"[\s.-]*" + core[6:]
    return r"[\s.-]*".join(core)


def _phrase_pattern(values: list[KnownValue]) -> re.Pattern[str] | None:
    if not values:
        return None
    parts = [
        r"\s+".join(re.escape(p) for p in v.value.split())
        for v in sorted(values, key=lambda v: len(v.value), reverse=True)
    ]
    return re.compile(BOUND.format("|".join(parts)), re.IGNORECASE)


@dataclass
class IdentifierMatcher:
    """Finds known values in text; ``replace`` swaps each for ``token_for(value)``."""

    values: list[KnownValue] = field(default_factory=list)
    _by_norm: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _words: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _short_words: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _phrases: list[KnownValue] = field(default_factory=list, init=False)
    _phrase_re: re.Pattern[str] | None = field(default=None, init=False)
    _compiled_phrases: int = field(default=0, init=False)
    _phones: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _phone_re: re.Pattern[str] | None = field(default=None, init=False)

    def add(self, kind: str, value: str) -> bool:
        value = value.strip()
        key = normalize(value)
        if len(key) < MIN_LENGTH or key in self._by_norm:
            return False
        if key.isdigit() and len(key) < MIN_NUMBER_DIGITS:
            return False  # "150" is a lab value far more often than a record number
        known = KnownValue(kind, value)
        self.values.append(known)
        self._by_norm[key] = known
        if _is_phone(kind, value):
            self._phones[_digits(value)[-10:]] = known
            self._phone_re = re.compile(
                r"(?<!\d)(?:" + "|".join(_phone_pattern(d) for d in self._phones) + r")(?!\d)"
            )
        elif len(value.split()) > 1:
            self._phrases.append(known)
        elif len(value) <= SHORT_PART:
            self._short_words.setdefault(value, known)
        else:
            self._words.setdefault(key, known)
        return True

    def extend(self, values: Iterable[KnownValue]) -> None:
        for item in values:
            self.add(item.kind, item.value)

    def lookup(self, matched: str) -> KnownValue | None:
        found = self._by_norm.get(normalize(matched))
        if found is None and len(_digits(matched)) >= 7:
            found = self._phones.get(_digits(matched)[-10:])
        return found

    def _word_hit(self, word: str) -> KnownValue | None:
        return self._short_words.get(word) or self._words.get(word.casefold())

    def find(self, text: str) -> list[tuple[int, int, KnownValue]]:
        spans: list[tuple[int, int, KnownValue]] = []
        if self._words or self._short_words:
            for m in WORD_RE.finditer(text):
                word = m.group(0)
                known = self._word_hit(word)
                if known is not None:
                    spans.append((m.start(), m.end(), known))
                    continue
                offset = m.start()
                for part in SUBWORD_SPLIT.split(word):
                    known = self._word_hit(part) if part else None
                    if known is not None:
                        spans.append((offset, offset + len(part), known))
                    offset += len(part) + 1
        if len(self._phrases) - self._compiled_phrases > RECOMPILE_AFTER or (
            self._phrase_re is None and self._phrases
        ):
            self._phrase_re = _phrase_pattern(self._phrases)
            self._compiled_phrases = len(self._phrases)
        pending = _phrase_pattern(self._phrases[self._compiled_phrases :])
        for pattern in (self._phrase_re, pending, self._phone_re):
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                known = self.lookup(m.group(0))
                if known is not None:
                    spans.append((m.start(), m.end(), known))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        merged: list[tuple[int, int, KnownValue]] = []
        for span in spans:
            if merged and span[0] < merged[-1][1]:
                continue
            merged.append(span)
        return merged

    def replace(self, text: str, token_for: Callable[[KnownValue], str]) -> str:
        spans = self.find(text)
        if not spans:
            return text
        out: list[str] = []
        cursor = 0
        for start, end, known in spans:
            out.append(text[cursor:start])
            out.append(token_for(known))
            cursor = end
        out.append(text[cursor:])
        return "".join(out)
