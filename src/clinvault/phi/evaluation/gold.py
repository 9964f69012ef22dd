"""Annotated text: gold spans with a dataset's own labels, and how labels map to PHI types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinvault.phi.base import DetectionContext, PhiType


@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class GoldDocument:
    text: str
    spans: tuple[GoldSpan, ...]
    context: DetectionContext | None = None
    """What the record knows about the patient (deny-list), as ingest would pass it."""


@dataclass(frozen=True, slots=True)
class LabelScheme:
    """A dataset's labels: each maps to the PHI type it should be found as, or to ``None``
    when clinvault deliberately does not treat it as PHI (its tokens are not scored)."""

    name: str
    mapping: Mapping[str, PhiType | None]

    def phi_type(self, label: str) -> PhiType | None:
        if label not in self.mapping:
            raise KeyError(f"{self.name}: unknown label {label!r}")
        return self.mapping[label]
