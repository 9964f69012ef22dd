"""Protocols of the index side: the embedder and the vector index.

Implementations live in sibling modules and are chosen from settings through
``EMBEDDERS`` and ``INDEXES`` (see :mod:`clinvault.registry`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from clinvault.model import Chunk, Hit

SearchMode = Literal["hybrid", "dense", "sparse"]


class Embedder(Protocol):
    name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search is always for one patient: ``patient`` is required by construction."""

    patient: str
    text: str
    vector: Sequence[float]
    limit: int = 8
    mode: SearchMode = "hybrid"
    resource_types: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.patient:
            raise ValueError("a search must name a patient token")


class VectorIndex(Protocol):
    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None: ...

    def delete_resources(self, patient: str, resources: Sequence[str]) -> None:
        """Remove every point of these resource tokens (a changed resource is re-chunked)."""

    def delete_patient(self, patient: str) -> int:
        """Remove every point of this patient (erasure); returns how many there were."""

    def search(self, query: SearchQuery) -> list[Hit]: ...

    def latest(
        self,
        patient: str,
        *,
        codes: Sequence[str] = (),
        resource_types: Sequence[str] = (),
        limit: int = 10,
    ) -> list[Chunk]:
        """Chunks of this patient matching any of ``codes``/``resource_types``, newest first."""

    def list_records(self, patient: str, *, resource_types: Sequence[str]) -> list[Chunk]:
        """Every chunk of this patient of these resource types: a payload-filtered scroll
        (no similarity, no cap), newest first, undated chunks last. A list question ("which
        procedures") reads the whole listing, however long the patient's record is."""

    def scroll(self, patient: str | None = None) -> Iterator[Chunk]: ...

    def count(self, patient: str | None = None) -> int: ...

    def optimize(self) -> bool:
        """Build pending search structures (HNSW, merged segments) now, blocking.

        Call it at the end of a bulk load; returns whether anything was done. Backends that
        optimize in the background (a Qdrant server) return ``False``.
        """

    def close(self) -> None: ...
