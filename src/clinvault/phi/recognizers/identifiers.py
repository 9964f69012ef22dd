"""MRN, account, licence and other identifying numbers, from configurable patterns.

Patterns live in ``vault/phi_recognizers.toml`` (``[[identifier]]`` tables); each names a
PHI type, a regex and a score. A pattern with a ``value`` group marks only that group,
so a label such as ``MRN:`` stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.recognizers.base import spans_from_matches


@dataclass(frozen=True, slots=True)
class IdentifierPattern:
    name: str
    type: PhiType
    pattern: re.Pattern[str]
    score: float


class IdentifierRecognizer:
    name = "identifier"

    def __init__(self, patterns: Sequence[IdentifierPattern]) -> None:
        self._patterns = tuple(patterns)

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for item in self._patterns:
            group: str | int = "value" if "value" in item.pattern.groupindex else 0
            found += spans_from_matches(
                text,
                item.pattern.finditer(text),
                item.type,
                item.score,
                f"{self.name}:{item.name}",
                group=group,
            )
        return found
