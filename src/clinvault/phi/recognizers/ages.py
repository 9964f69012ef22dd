"""Ages over 89 (HIPAA Safe Harbor): ``92 yo``, ``aged 95``, ``101-year-old``.

The span covers the number only, so the replacement ``90+`` keeps the surrounding words.
"""

from __future__ import annotations

import re

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.recognizers.base import spans_from_matches

OVER_89 = r"(?P<age>9\d|1[0-2]\d)"
AGE_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"\b{OVER_89}\s*(?:-|\s)?\s*(?:years?|yrs?|y)[\s\-]*(?:of\s+age|old|o\b)",
        rf"\b{OVER_89}\s*(?:yo|y\.o\.?|y/o|yof|yom)\b",
        rf"\b(?:age|aged|age:|ages)\s*(?:is\s+|of\s+)?{OVER_89}\b",
        rf"\b{OVER_89}(?:th)?\s+birthday\b",
    )
)


class AgeOver89Recognizer:
    name = "age-over-89"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: dict[tuple[int, int], Span] = {}
        for pattern in AGE_PATTERNS:
            for span in spans_from_matches(
                text, pattern.finditer(text), PhiType.AGE, 0.9, self.name, group="age"
            ):
                found.setdefault((span.start, span.end), span)
        return sorted(found.values(), key=lambda s: s.start)
