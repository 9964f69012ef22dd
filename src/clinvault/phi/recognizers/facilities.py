"""Facility names by their head word: ``St. Vincent Medical Center``, ``Eastfield Clinic``."""

from __future__ import annotations

import re

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.spans import make_span

NAME_WORD = r"(?:[A-Z][\w'’\-]*\.?|of|the|and|&)"
HEAD = (
    r"(?i:hospital|medical\s+center|medical\s+centre|health\s+center|health\s+system"
    r"|health\s+clinic|clinic|urgent\s+care|nursing\s+home|rehabilitation\s+center"
    r"|rehab\s+center|care\s+center|family\s+practice|family\s+medicine|pediatrics"
    r"|associates|infirmary|hospice|pharmacy|surgery\s+center|imaging\s+center"
    r"|dialysis\s+center|senior\s+living|assisted\s+living|memorial)\b"
)
FACILITY = re.compile(
    rf"\b(?:(?:St\.?|Saint|Mount|Mt\.?)\s+)?[A-Z][\w'’\-]*(?:\s+{NAME_WORD}){{0,4}}?\s+{HEAD}",
)
GENERIC_FIRST = frozenset({"the", "a", "an", "our", "this", "that", "local", "outside", "urgent"})


class FacilityRecognizer:
    name = "facility"

    def find(self, text: str, context: DetectionContext) -> list[Span]:
        found: list[Span] = []
        for match in FACILITY.finditer(text):
            first = match.group().split()[0]
            if first.casefold() in GENERIC_FIRST:
                continue
            span = make_span(text, match.start(), match.end(), PhiType.ORG, 0.8, self.name)
            if span is not None:
                found.append(span)
        return found
