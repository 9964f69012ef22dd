"""Precision rescue rules of the ensemble: clinical text that NER and date patterns misread.

- **only clinical words**: a guessed person, organization or place made only of clinical safe
  words, numbers and single letters, with no person cue before it
  (:meth:`~clinvault.phi.safe_words.SafeWords.only_clinical`);
- **shift times**: ``NPN 7p-7a``, ``nsg note 3-11``: the hours of a nursing shift after a
  note header are not a date (a real date next to them is kept: ``NPN 3-11 oct 2`` keeps
  ``oct 2``);
- **quantity-led places**: ``HOB 45 deg.\\nDr`` is not a street address: a place span that
  starts with a number and a unit is dropped; so is a "phone number" shaped like a blood
  pressure (``BP 168/80``).
"""

from __future__ import annotations

import re

from clinvault.phi.base import PhiType, Span
from clinvault.phi.spans import make_span

SHIFT = re.compile(
    r"\b(?:npn|nsg\s+note|nursing\s+note|progress\s+note|note|shift|nsg)\s+"
    r"(?P<shift>\d{1,2}[ap]?\s?-\s?\d{1,2}[ap]?)(?=[\s,.;:]|$)",
    re.IGNORECASE,
)
QUANTITY_LED = re.compile(
    r"^\d+(?:\.\d+)?\s*(?:deg|mg|mcg|ml|cc|units?|l|%|meq|kg|lbs?|g|mmhg)\b", re.IGNORECASE
)
BLOOD_PRESSURE = re.compile(r"^\d{2,3}/\d{2,3}$")
PLACES = frozenset({PhiType.ADDR, PhiType.ORG})


def shift_regions(text: str) -> list[tuple[int, int]]:
    return [(m.start("shift"), m.end("shift")) for m in SHIFT.finditer(text)]


def without_regions(text: str, span: Span, regions: list[tuple[int, int]]) -> list[Span]:
    """``span`` less the characters of ``regions`` (what is left keeps type and source)."""
    pieces = [(span.start, span.end)]
    for lo, hi in regions:
        pieces = [
            part
            for start, end in pieces
            for part in ((start, min(end, lo)), (max(start, hi), end))
            if part[0] < part[1]
        ]
    kept = [make_span(text, a, b, span.type, span.score, span.source) for a, b in pieces]
    return [piece for piece in kept if piece is not None]


def misread_quantity(span: Span) -> bool:
    """A place that starts with a quantity, or a "phone number" that is a blood pressure."""
    if span.type in PLACES:
        return QUANTITY_LED.match(span.text) is not None
    return span.type is PhiType.PHONE and BLOOD_PRESSURE.match(span.text) is not None
