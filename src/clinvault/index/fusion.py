"""Reciprocal rank fusion of a dense and a sparse llama-index result.

The same formula Qdrant applies inside a query with ``Fusion.Rrf(k)`` (score of a point =
sum over branches of ``1 / (k + rank)``, rank counted from 0), so the qdrant-client store,
which fuses on the client, ranks like the Edge store, which fuses in the shard.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import VectorStoreQueryResult


class ReciprocalRankFusion:
    """A llama-index ``HybridFusionCallable``."""

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(
        self,
        dense_result: VectorStoreQueryResult,
        sparse_result: VectorStoreQueryResult,
        **kwargs: Any,
    ) -> VectorStoreQueryResult:
        scores: dict[str, float] = {}
        nodes: dict[str, BaseNode] = {}
        for result in (dense_result, sparse_result):
            for rank, node in enumerate(result.nodes or []):
                scores[node.node_id] = scores.get(node.node_id, 0.0) + 1.0 / (self.k + rank)
                nodes.setdefault(node.node_id, node)
        ranked = sorted(scores, key=lambda node_id: -scores[node_id])
        top_k = kwargs.get("top_k")
        if isinstance(top_k, int):
            ranked = ranked[:top_k]
        return VectorStoreQueryResult(
            nodes=[nodes[node_id] for node_id in ranked],
            similarities=[scores[node_id] for node_id in ranked],
            ids=ranked,
        )
