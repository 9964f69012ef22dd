"""Known identifiers of one patient, and the fast matcher that replaces them in text.

Values are collected from the patient's own resources by the policy (names and name
forms, identifiers, telecom, address parts, relatives) and from linked practitioners and
organisations. One compiled regular expression per patient finds them all in a pass.
Short name parts (3 characters or fewer) match case-sensitively so that a patient named
"An" does not erase every "an" in a note; everything else matches case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from clinvault.vault.tokens import normalize

SHORT_PART = 3
MIN_LENGTH = 2
PHONE_KIND = "PHONE"


@dataclass(frozen=True, slots=True)
class KnownValue:
    kind: str
    value: str


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _phone_pattern(digits: str) -> str:
    core = digits[-10:]
    if len(core) < 7:
        return re.escape(digits)
    if len(core) == 10:
        return r"(?:\+?1[\s.-]?)?\(?" + core[:3] + r"\)?[\s.-]*" + core[3:6] + r"[\s.-]*" + core[6:]
    return r"[\s.-]*".join(core)


def _literal_pattern(value: str) -> str:
    return r"\s+".join(re.escape(part) for part in value.split())


@dataclass
class IdentifierMatcher:
    """Replaces every known value in text through ``replace(kind, value) -> token``."""

    values: list[KnownValue] = field(default_factory=list)
    _by_norm: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _by_digits: dict[str, KnownValue] = field(default_factory=dict, init=False)
    _insensitive: re.Pattern[str] | None = field(default=None, init=False)
    _sensitive: re.Pattern[str] | None = field(default=None, init=False)
    _dirty: bool = field(default=True, init=False)

    def add(self, kind: str, value: str) -> bool:
        value = value.strip()
        key = normalize(value)
        if len(key) < MIN_LENGTH or key in self._by_norm:
            return False
        known = KnownValue(kind, value)
        self.values.append(known)
        self._by_norm[key] = known
        if kind == PHONE_KIND and len(_digits(value)) >= 7:
            self._by_digits[_digits(value)[-10:]] = known
        self._dirty = True
        return True

    def extend(self, values: Iterable[KnownValue]) -> None:
        for item in values:
            self.add(item.kind, item.value)

    def _compile(self) -> None:
        long_parts: list[str] = []
        short_parts: list[str] = []
        for item in sorted(self.values, key=lambda v: len(v.value), reverse=True):
            if item.kind == PHONE_KIND and len(_digits(item.value)) >= 7:
                long_parts.append(_phone_pattern(_digits(item.value)))
            elif len(item.value) <= SHORT_PART:
                short_parts.append(_literal_pattern(item.value))
            else:
                long_parts.append(_literal_pattern(item.value))
        bound = r"(?<![\w@.\-/])(?:{})(?![\w@]|\.\w|-\w)"
        self._insensitive = (
            re.compile(bound.format("|".join(long_parts)), re.IGNORECASE) if long_parts else None
        )
        self._sensitive = re.compile(bound.format("|".join(short_parts))) if short_parts else None
        self._dirty = False

    def lookup(self, matched: str) -> KnownValue | None:
        found = self._by_norm.get(normalize(matched))
        if found is None:
            found = self._by_digits.get(_digits(matched)[-10:])
        return found

    def find(self, text: str) -> list[tuple[int, int, KnownValue]]:
        if self._dirty:
            self._compile()
        spans: list[tuple[int, int, KnownValue]] = []
        for pattern in (self._insensitive, self._sensitive):
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
