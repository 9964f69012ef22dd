"""Registries of embedders and vector indexes, and the two entry points to open them.

Implementations are imported lazily by name, so importing this module loads neither
torch nor a Qdrant client.
"""

from __future__ import annotations

from clinvault.index.base import Embedder, VectorIndex
from clinvault.registry import Registry
from clinvault.settings import EmbedderSettings, IndexSettings

EMBEDDERS: Registry[Embedder] = Registry(
    "embedder",
    {
        "sentence-transformers": "clinvault.index.sentence_transformer:open_sentence_transformer",
        "onnx": "clinvault.index.onnx_embedder:open_onnx_embedder",
        "hashing": "clinvault.index.hashing:open_hashing_embedder",
    },
)
"""Factories ``(EmbedderSettings) -> Embedder``, chosen by ``index.embedder.backend``."""

INDEXES: Registry[VectorIndex] = Registry(
    "vector index",
    {
        "edge": "clinvault.index.backends:open_edge_index",
        "qdrant-local": "clinvault.index.backends:open_qdrant_local_index",
        "qdrant": "clinvault.index.backends:open_qdrant_server_index",
    },
)
"""Factories ``(IndexSettings, embedder_dimension) -> VectorIndex``, chosen by ``index.backend``
(the section with its path resolved: ``Settings.index_section``)."""


def open_embedder(settings: EmbedderSettings) -> Embedder:
    return EMBEDDERS.create(settings.backend, settings)


def open_index(settings: IndexSettings, embedder_dimension: int) -> VectorIndex:
    """``settings``: ``Settings.index_section`` (``path`` resolved under CLINVAULT_HOME)."""
    return INDEXES.create(settings.backend, settings, embedder_dimension)
