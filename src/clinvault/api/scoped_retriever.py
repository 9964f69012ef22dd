"""Retrieval limited to the resource types a token's SMART scopes allow.

Chunks of other types never reach the prompt, so they can neither be cited nor leak into the
answer. Index reads are serialized with a lock shared by all requests: the embedded Qdrant
Edge shard is one in-process object.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask.retrieval import Retrieval, Retriever
from clinvault.index.base import Embedder, VectorIndex


class ScopedRetriever(Retriever):
    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        *,
        access: ResourceAccess,
        lock: threading.Lock,
        candidates: int = 40,
    ) -> None:
        super().__init__(embedder, index, candidates=candidates)
        self._access = access
        self._lock = lock

    def retrieve(self, patient: str, question: str, *, top_k: int) -> Retrieval:
        with self._lock:
            retrieval = super().retrieve(patient, question, top_k=top_k)
        if self._access.types is None:
            return retrieval
        kept = [e for e in retrieval.evidence if self._access.allows(e.chunk.resource_type)]
        return replace(retrieval, evidence=kept)
