"""A deterministic, dependency-free feature-hashing embedder.

Each text becomes a bag of features (lower-cased word tokens, plus the character
trigrams of every token framed by spaces), hashed with a signed hash into ``dimension``
buckets and L2-normalized. Texts that share words or word pieces get a high cosine
similarity; there is no notion of meaning beyond that.

It is a *real but weak* embedder: fine for tests of everything around the index and an
explicit opt-in (``index.embedder.backend = "hashing"``) for machines that cannot run a
transformer. It is never chosen silently.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Sequence

from clinvault.settings import EmbedderSettings

_TOKEN = re.compile(r"[0-9a-z]+(?:[-.|][0-9a-z]+)*")


class HashingEmbedder:
    def __init__(self, dimension: int = 384, trigram_weight: float = 0.5) -> None:
        if dimension < 8:
            raise ValueError("a hashing embedder needs at least 8 dimensions")
        self.dimension = dimension
        self.name = f"hashing-{dimension}"
        self._trigram_weight = trigram_weight

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    def _features(self, text: str) -> Iterator[tuple[str, float]]:
        for token in _TOKEN.findall(text.lower()):
            yield "w:" + token, 1.0
            framed = f" {token} "
            for start in range(len(framed) - 2):
                yield "c:" + framed[start : start + 3], self._trigram_weight

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for feature, weight in self._features(text):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            number = int.from_bytes(digest, "little")
            sign = 1.0 if number & 1 else -1.0
            vector[(number >> 1) % self.dimension] += sign * weight
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0.0:
            return vector
        return [value / norm for value in vector]


def open_hashing_embedder(settings: EmbedderSettings) -> HashingEmbedder:
    """Registry factory (``index.embedder.backend = "hashing"``)."""
    return HashingEmbedder()
