"""``ChunkIndex``: the :class:`~clinvault.index.base.VectorIndex` over any ``ChunkStore``.

Chunks become llama-index ``TextNode`` s (:mod:`clinvault.index.nodes`) and come back
through :meth:`Chunk.from_payload`. Every read that concerns a patient is filtered by
that patient's token (:mod:`clinvault.index.filters` cannot build a filter without one),
and every chunk a patient-scoped read returns is checked to belong to that patient:
a mismatch is a ``PrivacyError``, never a silently returned foreign chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from clinvault.errors import PrivacyError
from clinvault.index.base import SearchMode, SearchQuery
from clinvault.index.chunk_store import ChunkStore
from clinvault.index.filters import (
    latest_filters,
    patient_filters,
    resources_filters,
    search_filters,
)
from clinvault.index.nodes import chunk_from_metadata, chunk_to_node
from clinvault.model import Chunk, Hit

DATE_FIELD = "date"
_MODES: dict[SearchMode, VectorStoreQueryMode] = {
    "hybrid": VectorStoreQueryMode.HYBRID,
    "dense": VectorStoreQueryMode.DEFAULT,
    "sparse": VectorStoreQueryMode.SPARSE,
}


class ChunkIndex:
    def __init__(self, store: ChunkStore, *, prefetch_factor: int = 4) -> None:
        """``prefetch_factor``: each hybrid branch fetches ``limit * prefetch_factor``."""
        self.store = store
        self._prefetch_factor = prefetch_factor

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if chunks:
            nodes: list[BaseNode] = [
                chunk_to_node(chunk, [float(x) for x in vector])
                for chunk, vector in zip(chunks, vectors, strict=True)
            ]
            self.store.add(nodes)

    def delete_resources(self, patient: str, resources: Sequence[str]) -> None:
        if resources:
            self.store.delete_where(resources_filters(patient, resources))

    def delete_patient(self, patient: str) -> int:
        filters = patient_filters(patient)
        found = self.store.count_where(filters)
        if found:
            self.store.delete_where(filters)
        return found

    def search(self, query: SearchQuery) -> list[Hit]:
        if query.limit < 1:
            return []
        candidates = query.limit * self._prefetch_factor
        hybrid = query.mode == "hybrid"
        result = self.store.query(
            VectorStoreQuery(
                query_embedding=[float(x) for x in query.vector],
                query_str=query.text,
                similarity_top_k=candidates if hybrid else query.limit,
                sparse_top_k=candidates if hybrid else query.limit,
                hybrid_top_k=query.limit,
                mode=_MODES[query.mode],
                filters=search_filters(
                    query.patient, resource_types=query.resource_types, codes=query.codes
                ),
            )
        )
        scores = result.similarities or [0.0] * len(result.nodes or [])
        hits = [
            Hit(chunk=chunk_from_metadata(node.metadata), score=float(score))
            for node, score in zip(result.nodes or [], scores, strict=True)
        ]
        _require_patient(query.patient, (hit.chunk for hit in hits))
        return hits[: query.limit]

    def latest(
        self,
        patient: str,
        *,
        codes: Sequence[str] = (),
        resource_types: Sequence[str] = (),
        limit: int = 10,
    ) -> list[Chunk]:
        """Dated chunks of ``patient`` matching any code or resource type, newest first.

        With neither codes nor types: all of the patient's dated chunks. Chunks without a
        ``date`` cannot be ordered and are not returned.
        """
        filters = latest_filters(patient, resource_types=resource_types, codes=codes)
        if limit < 1:
            return []
        chunks = [
            chunk_from_metadata(payload)
            for payload in self.store.newest_payloads(filters, DATE_FIELD, limit)
        ]
        _require_patient(patient, chunks)
        return chunks

    def list_records(self, patient: str, *, resource_types: Sequence[str]) -> list[Chunk]:
        """Every chunk of ``patient`` of these types, newest first, undated ones last.

        One payload-filtered scroll (``patient`` AND ``resource_type`` IN types) through the
        store's pages; no vector is compared and nothing is cut. Dates are the shifted ISO-8601
        strings of the payload, ordered as text (day first, then time); ties by chunk id.
        """
        if not resource_types:
            raise ValueError("a record listing must name at least one resource type")
        filters = search_filters(patient, resource_types=resource_types)
        chunks = [chunk_from_metadata(p) for p in self.store.scroll_payloads(filters)]
        _require_patient(patient, chunks)
        dated = sorted((c for c in chunks if c.date), key=_date_key, reverse=True)
        return dated + sorted((c for c in chunks if not c.date), key=lambda c: c.chunk_id)

    def scroll(self, patient: str | None = None) -> Iterator[Chunk]:
        """Every chunk (of ``patient`` when given), in no particular order."""
        filters = patient_filters(patient) if patient is not None else None
        for payload in self.store.scroll_payloads(filters):
            chunk = chunk_from_metadata(payload)
            if patient is not None:
                _require_patient(patient, (chunk,))
            yield chunk

    def count(self, patient: str | None = None) -> int:
        filters = patient_filters(patient) if patient is not None else None
        return self.store.count_where(filters)

    def optimize(self) -> bool:
        return self.store.optimize()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ChunkIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _date_key(chunk: Chunk) -> tuple[str, str]:
    return (chunk.date or "", chunk.chunk_id)


def _require_patient(patient: str, chunks: Iterable[Chunk]) -> None:
    if any(chunk.patient != patient for chunk in chunks):
        raise PrivacyError("the index returned a chunk of another patient; result withheld")
