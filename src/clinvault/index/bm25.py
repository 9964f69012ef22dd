"""BM25 sparse vectors from ``qdrant_edge.Bm25``, shared by every backend.

Documents get term-frequency weights (k, b, avg_len from ``indexing/collection.toml``),
queries get weight 1 per unique token; Qdrant multiplies in the IDF at query time
(sparse modifier ``idf``). Using the same encoder for the Edge shard and for
qdrant-client collections makes both backends score a keyword alike, and nothing
is downloaded (no fastembed).
"""

from __future__ import annotations

from collections.abc import Sequence

import qdrant_edge

from clinvault.errors import ConfigError
from clinvault.index.collection import Bm25Params

SparseBatch = tuple[list[list[int]], list[list[float]]]
"""``(indices, values)`` per text: the shape llama-index's ``SparseEncoderCallable`` returns."""


class Bm25Encoder:
    def __init__(self, params: Bm25Params) -> None:
        config = qdrant_edge.Bm25Config(
            k=params.k, b=params.b, avg_len=params.avg_len, language=params.language
        )
        try:
            self._model = qdrant_edge.Bm25(config)
        except ValueError as exc:
            raise ConfigError(f"invalid [bm25] section in the collection config: {exc}") from None

    def document(self, text: str) -> qdrant_edge.SparseVector:
        return self._model.embed_document(text)

    def query(self, text: str) -> qdrant_edge.SparseVector:
        return self._model.embed_query(text)

    def documents_batch(self, texts: Sequence[str]) -> SparseBatch:
        """llama-index ``sparse_doc_fn``."""
        return _batch([self.document(text) for text in texts])

    def queries_batch(self, texts: Sequence[str]) -> SparseBatch:
        """llama-index ``sparse_query_fn``."""
        return _batch([self.query(text) for text in texts])


def _batch(vectors: list[qdrant_edge.SparseVector]) -> SparseBatch:
    return [list(v.indices) for v in vectors], [list(v.values) for v in vectors]
