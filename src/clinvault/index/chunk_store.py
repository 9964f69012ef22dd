"""What :class:`~clinvault.index.chunk_index.ChunkIndex` needs from a vector store.

A ``ChunkStore`` is a llama-index vector store (``add`` nodes, ``query`` with a
``VectorStoreQuery``) plus the payload operations llama-index has no abstraction for:
counting, scrolling, newest-first listing by a datetime field and deletion by filter.
The Edge store and the qdrant-client store both implement it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryResult,
)

Payload = dict[str, Any]


class ChunkStore(Protocol):
    def add(self, nodes: list[BaseNode], **add_kwargs: Any) -> list[str]: ...

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult: ...

    def delete_where(self, filters: MetadataFilters) -> None:
        """Delete every point matching ``filters``."""

    def count_where(self, filters: MetadataFilters | None) -> int:
        """Exact number of points matching ``filters`` (all points when ``None``)."""

    def scroll_payloads(self, filters: MetadataFilters | None) -> Iterator[Payload]:
        """Every matching point's payload, in pages, in no particular order."""

    def newest_payloads(self, filters: MetadataFilters, key: str, limit: int) -> list[Payload]:
        """Matching payloads ordered by the datetime field ``key``, newest first.

        Points without ``key`` are not returned.
        """

    def optimize(self) -> bool:
        """Build pending indexes now; ``False`` when there was nothing to do."""

    def close(self) -> None: ...
