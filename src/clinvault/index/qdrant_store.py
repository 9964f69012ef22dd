"""The qdrant-client store: llama-index's ``QdrantVectorStore`` with clinvault's layout.

Used for ``qdrant-local`` (qdrant-client path mode: tests and tiny data only, it scans in
Python) and ``qdrant`` (a Qdrant server or cluster: the scale-out path). The collection is
created eagerly from ``indexing/collection.toml`` with the same vector names, BM25 sparse
vectors (``qdrant_edge.Bm25`` documents and queries, IDF modifier) and payload indexes as
the Edge store; hybrid results are fused with the same reciprocal rank fusion.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from llama_index.vector_stores.qdrant import QdrantVectorStore
from pydantic import PrivateAttr
from qdrant_client import QdrantClient, models

from clinvault.errors import ConfigError
from clinvault.index.bm25 import Bm25Encoder
from clinvault.index.chunk_store import Payload
from clinvault.index.collection import CollectionConfig, PayloadIndex
from clinvault.index.fusion import ReciprocalRankFusion
from clinvault.index.nodes import require_chunk_nodes

SCROLL_PAGE = 512
_DISTANCES = {
    "cosine": models.Distance.COSINE,
    "dot": models.Distance.DOT,
    "euclid": models.Distance.EUCLID,
}


def _payload_schema(index: PayloadIndex) -> models.PayloadSchemaType | models.KeywordIndexParams:
    if index.type == "keyword":
        return models.KeywordIndexParams(
            type=models.KeywordIndexType.KEYWORD, is_tenant=index.is_tenant or None
        )
    return models.PayloadSchemaType.DATETIME


class ClinvaultQdrantStore(QdrantVectorStore):
    """``QdrantVectorStore`` plus the :class:`~clinvault.index.chunk_store.ChunkStore` ops."""

    _hnsw_ef: int | None = PrivateAttr(default=None)

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        dimension: int,
        layout: CollectionConfig,
        *,
        local_mode: bool = False,
    ) -> None:
        """``local_mode``: qdrant-client path mode, which scans exactly and has no payload
        indexes, so neither payload indexes nor HNSW search parameters are sent to it."""
        bm25 = Bm25Encoder(layout.bm25)
        hnsw = layout.hnsw
        super().__init__(
            collection_name=collection,
            client=client,
            enable_hybrid=True,
            sparse_doc_fn=bm25.documents_batch,
            sparse_query_fn=bm25.queries_batch,
            hybrid_fusion_fn=ReciprocalRankFusion(layout.search.rrf_k),
            index_doc_id=False,
            dense_vector_name=layout.dense.name,
            sparse_vector_name=layout.sparse.name,
            dense_config=models.VectorParams(
                size=dimension,
                distance=_DISTANCES[layout.dense.distance],
                hnsw_config=models.HnswConfigDiff(
                    m=hnsw.m,
                    ef_construct=hnsw.ef_construct,
                    full_scan_threshold=hnsw.full_scan_threshold,
                    payload_m=hnsw.payload_m,
                ),
            ),
            sparse_config=models.SparseVectorParams(
                index=models.SparseIndexParams(),
                modifier=models.Modifier.IDF if layout.sparse.idf else None,
            ),
            payload_indexes=cast(
                Any,  # llama-index annotates only PayloadSchemaType; params objects work too
                [
                    {"field_name": field, "field_schema": _payload_schema(index)}
                    for field, index in layout.payload_indexes.items()
                    if not local_mode
                ],
            ),
        )
        self._hnsw_ef = None if local_mode else layout.search.hnsw_ef
        if not self._collection_initialized:
            self._create_collection(collection, dimension)
            self._collection_initialized = True
        self._check_dimension(dimension)

    def _check_dimension(self, dimension: int) -> None:
        vectors = self.client.get_collection(self.collection_name).config.params.vectors
        params = vectors.get(self.dense_vector_name) if isinstance(vectors, dict) else None
        if params is None or params.size != dimension:
            raise ConfigError(
                f"Qdrant collection {self.collection_name!r} was built with another vector "
                f"layout (embedder dimension {dimension}?); rebuild the index"
            )

    def add(  # type: ignore[override]  # same signature as QdrantVectorStore.add
        self, nodes: list[BaseNode], shard_identifier: Any | None = None, **add_kwargs: Any
    ) -> list[str]:
        require_chunk_nodes(nodes)
        ids: list[str] = super().add(nodes, shard_identifier, **add_kwargs)
        return ids

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if self._hnsw_ef is not None:
            kwargs.setdefault("search_params", models.SearchParams(hnsw_ef=self._hnsw_ef))
        result: VectorStoreQueryResult = super().query(query, **kwargs)
        return result

    def delete_where(self, filters: MetadataFilters) -> None:
        self.client.delete(
            collection_name=self.collection_name,
            points_selector=models.FilterSelector(filter=self._build_subfilter(filters)),
            wait=True,
        )

    def count_where(self, filters: MetadataFilters | None) -> int:
        count_filter = self._build_subfilter(filters) if filters is not None else None
        response = self.client.count(self.collection_name, count_filter=count_filter, exact=True)
        return int(response.count)

    def scroll_payloads(self, filters: MetadataFilters | None) -> Iterator[Payload]:
        scroll_filter = self._build_subfilter(filters) if filters is not None else None
        offset: Any = None
        while True:
            records, offset = self.client.scroll(
                self.collection_name,
                scroll_filter=scroll_filter,
                limit=SCROLL_PAGE,
                offset=offset,
                with_payload=True,
                with_vectors=False,
            )
            for record in records:
                yield dict(record.payload or {})
            if offset is None:
                return

    def newest_payloads(self, filters: MetadataFilters, key: str, limit: int) -> list[Payload]:
        records, _ = self.client.scroll(
            self.collection_name,
            scroll_filter=self._build_subfilter(filters),
            limit=limit,
            order_by=models.OrderBy(key=key, direction=models.Direction.DESC),
            with_payload=True,
            with_vectors=False,
        )
        return [dict(record.payload or {}) for record in records]

    def optimize(self) -> bool:
        """Nothing to do: a server optimizes in the background, local mode always scans."""
        return False

    def close(self) -> None:
        self.client.close()
