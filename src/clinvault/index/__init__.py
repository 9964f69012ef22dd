"""The index side: embedders and the patient-scoped vector index.

Call :func:`open_embedder` with ``settings.index.embedder`` and :func:`open_index` with
``settings.index_section`` (a process does it through ``clinvault.runtime.Runtime``); the
protocols are in
:mod:`clinvault.index.base`. Modules:

- ``factory``: the ``EMBEDDERS`` and ``INDEXES`` registries, ``open_embedder``/``open_index``
- ``sentence_transformer``, ``hashing``: embedders; ``model_source``, ``pins``: model files
- ``chunk_index``: ``ChunkIndex`` (the ``VectorIndex``); ``nodes``, ``filters``: its rules
- ``edge_store`` (+ ``edge_layout``, ``edge_filters``), ``qdrant_store`` (+ ``fusion``):
  llama-index vector stores; ``backends``: one opener per ``index.backend``
- ``collection``, ``bm25``: the shared collection layout and BM25 encoder
"""

from clinvault.index.base import Embedder, SearchQuery, VectorIndex
from clinvault.index.factory import EMBEDDERS, INDEXES, open_embedder, open_index

__all__ = [
    "EMBEDDERS",
    "INDEXES",
    "Embedder",
    "SearchQuery",
    "VectorIndex",
    "open_embedder",
    "open_index",
]
