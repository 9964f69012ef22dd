"""The fail-closed leak gate: no chunk holding a known identifier of its patient is written.

Every chunk is checked, just before upsert, against all of the patient's known identifiers
in the vault (names and name forms, identifiers, telecom, address parts, relatives), the
patient's source ids and the written forms of the real birth date. A chunk with a hit is
refused and reported by place and kind, never by value.

The birth date is looked for where the patient is described (the Patient chunk, the summary)
and, elsewhere, after a birth cue ("DOB", "born", "birth"): any other date in a chunk is a
shifted one, and a shifted event date can fall on the real birth date by chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from clinvault.model import Chunk
from clinvault.vault.identifiers import IdentifierMatcher

MIN_ID_LENGTH = 6


@dataclass(frozen=True, slots=True)
class Refusal:
    chunk: Chunk
    kind: str


def _alternation(values: Iterable[str]) -> str | None:
    kept = sorted({v for v in values if len(v) >= MIN_ID_LENGTH}, key=len, reverse=True)
    return "|".join(re.escape(v) for v in kept) or None


BIRTH_CUE = r"(?:\bDOB|\bD\.O\.B\.|\bborn|\bbirth(?:\s*date|day)?)\W{0,12}"


@dataclass
class LeakGate:
    matcher: IdentifierMatcher
    extra_values: Sequence[str] = ()
    """Exact strings that must not appear anywhere: source ids."""
    birth_dates: Sequence[str] = ()
    """Written forms of the real birth date (see the module docstring for where)."""
    _extra: re.Pattern[str] | None = field(default=None, init=False)
    _birth_described: re.Pattern[str] | None = field(default=None, init=False)
    _birth_cued: re.Pattern[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        ids = _alternation(self.extra_values)
        if ids:
            self._extra = re.compile(rf"(?<![\w])(?:{ids})(?![\w])", re.IGNORECASE)
        births = _alternation(self.birth_dates)
        if births:
            self._birth_described = re.compile(rf"(?<![\w])(?:{births})(?![\w])", re.IGNORECASE)
            self._birth_cued = re.compile(rf"{BIRTH_CUE}(?:{births})(?![\w])", re.IGNORECASE)

    def check(self, chunks: Iterable[Chunk]) -> tuple[list[Chunk], list[Refusal]]:
        passed: list[Chunk] = []
        refused: list[Refusal] = []
        for chunk in chunks:
            describes = chunk.kind == "summary" or chunk.resource_type == "Patient"
            kind = self._hit(chunk.text, describes) or (
                self._hit(chunk.display, describes) if chunk.display else None
            )
            if kind is None:
                passed.append(chunk)
            else:
                refused.append(Refusal(chunk, kind))
        return passed, refused

    def _hit(self, text: str, describes_patient: bool) -> str | None:
        found = self.matcher.find(text)
        if found:
            return found[0][2].kind
        if self._extra is not None and self._extra.search(text):
            return "SOURCE"
        birth = self._birth_described if describes_patient else self._birth_cued
        if birth is not None and birth.search(text):
            return "BIRTH_DATE"
        return None
