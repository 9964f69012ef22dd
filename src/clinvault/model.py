"""The data that crosses module boundaries: pseudonymized chunks and search hits.

Everything here is already pseudonymized: a ``Chunk`` never holds a real name,
identifier, contact detail, source id or real date. It is what the index stores,
what retrieval returns and what prompts are built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ChunkKind = Literal["resource", "note", "summary"]

PAYLOAD_FIELDS = (
    "chunk_id",
    "patient",
    "resource_type",
    "resource",
    "kind",
    "text",
    "date",
    "codes",
    "display",
)
"""The complete payload of an index point. Nothing else is ever stored."""


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str
    """Opaque point id (a UUID string), stable for (resource, part) within a deployment."""
    patient: str
    """Patient token, e.g. ``PT-3F9A1C0B7D2E4A61``: the mandatory filter of every query."""
    resource_type: str
    """FHIR type of the source (``Observation``...); ``Patient`` for the summary chunk."""
    resource: str
    """Opaque resource token, e.g. ``RES-9C0FE2D4A1B37755``; only the vault maps it back."""
    kind: ChunkKind
    text: str
    """Pseudonymized text: tokens and shifted dates only."""
    date: str | None = None
    """Shifted ISO-8601 date or dateTime of the clinical fact, if it has one."""
    codes: tuple[str, ...] = field(default=())
    """Codings as ``system|code`` (LOINC, SNOMED CT, RxNorm, CVX ...)."""
    display: str | None = None
    """Display text of the primary code, e.g. ``Hemoglobin A1c/Hemoglobin.total in Blood``."""

    def payload(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "patient": self.patient,
            "resource_type": self.resource_type,
            "resource": self.resource,
            "kind": self.kind,
            "text": self.text,
            "date": self.date,
            "codes": list(self.codes),
            "display": self.display,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=str(payload["chunk_id"]),
            patient=str(payload["patient"]),
            resource_type=str(payload["resource_type"]),
            resource=str(payload["resource"]),
            kind=payload["kind"],
            text=str(payload["text"]),
            date=payload.get("date"),
            codes=tuple(payload.get("codes") or ()),
            display=payload.get("display"),
        )


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float
