"""The fail-closed leak gate: no chunk holding a known identifier of its patient is written.

Every chunk is checked, just before upsert, against all of the patient's known identifiers
in the vault (names and name forms, identifiers, telecom, address parts, relatives), the
written forms of the real birth date and the patient's source ids. A chunk with a hit is
refused and reported by place and kind, never by value.
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


@dataclass
class LeakGate:
    matcher: IdentifierMatcher
    extra_values: Sequence[str] = ()
    """Exact strings that must not appear: real birth-date forms, source ids."""
    _extra: re.Pattern[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        values = sorted(
            {v for v in self.extra_values if len(v) >= MIN_ID_LENGTH}, key=len, reverse=True
        )
        if values:
            self._extra = re.compile(
                r"(?<![\w])(?:" + "|".join(re.escape(v) for v in values) + r")(?![\w])",
                re.IGNORECASE,
            )

    def check(self, chunks: Iterable[Chunk]) -> tuple[list[Chunk], list[Refusal]]:
        passed: list[Chunk] = []
        refused: list[Refusal] = []
        for chunk in chunks:
            kind = self._hit(chunk.text) or (self._hit(chunk.display) if chunk.display else None)
            if kind is None:
                passed.append(chunk)
            else:
                refused.append(Refusal(chunk, kind))
        return passed, refused

    def _hit(self, text: str) -> str | None:
        found = self.matcher.find(text)
        if found:
            return found[0][2].kind
        if self._extra is not None and self._extra.search(text):
            return "SOURCE"
        return None
