"""Pseudonymized resources and note passages -> ``Chunk``s (the only thing indexed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clinvault.fhir.notes import split_passages
from clinvault.fhir.render import render
from clinvault.model import Chunk


class ChunkIds(Protocol):
    def chunk_id(self, resource_token: str, part: str) -> str:
        """Opaque, stable point id of one part of a resource (the vault's keyed hash)."""


@dataclass(frozen=True)
class Chunker:
    ids: ChunkIds
    note_max_chars: int
    note_overlap_chars: int

    def resource_chunks(
        self,
        patient: str,
        resource_token: str,
        pseudo: Mapping[str, Any],
        notes: Sequence[tuple[str, str]],
    ) -> list[Chunk]:
        """One chunk for the resource, and passages of its notes: ``(part, scrubbed text)``."""
        rtype = str(pseudo.get("resourceType"))
        rendered = render(pseudo)
        chunks = [
            Chunk(
                chunk_id=self.ids.chunk_id(resource_token, "resource"),
                patient=patient,
                resource_type=rtype,
                resource=resource_token,
                kind="resource",
                text=rendered.text,
                date=rendered.date,
                codes=tuple(rendered.codes),
                display=rendered.display,
            )
        ]
        for part, text in notes:
            passages = split_passages(text, self.note_max_chars, self.note_overlap_chars)
            label = rendered.display or rtype
            for index, passage in enumerate(passages):
                header = f"{rtype} note ({label}){' on ' + rendered.date if rendered.date else ''}, part {index + 1}/{len(passages)}: "
                chunks.append(
                    Chunk(
                        chunk_id=self.ids.chunk_id(resource_token, f"note:{part}:{index}"),
                        patient=patient,
                        resource_type=rtype,
                        resource=resource_token,
                        kind="note",
                        text=header + passage,
                        date=rendered.date,
                        codes=tuple(rendered.codes),
                        display=rendered.display,
                    )
                )
        return chunks

    def summary_chunk(
        self, patient: str, resource_token: str, text: str, date: str | None
    ) -> Chunk:
        return Chunk(
            chunk_id=self.ids.chunk_id(resource_token, "summary"),
            patient=patient,
            resource_type="Patient",
            resource=resource_token,
            kind="summary",
            text=text,
            date=date,
        )
