"""Index backends (``index.backend``): each opens a :class:`ChunkIndex` over its store.

- ``edge``: an in-process Qdrant Edge shard under ``<index_path>/<collection>`` (default).
- ``qdrant-local``: qdrant-client path mode under ``<index_path>/qdrant-local`` (tests).
- ``qdrant``: a Qdrant server or cluster at ``index.url`` with ``index.api_key``.
"""

from __future__ import annotations

from pathlib import Path

from qdrant_client import QdrantClient

from clinvault.errors import ConfigError, IndexBackendError
from clinvault.index.chunk_index import ChunkIndex
from clinvault.index.collection import CollectionConfig
from clinvault.private_files import private_dir
from clinvault.settings import IndexSettings


def _root(settings: IndexSettings) -> Path:
    if settings.path is None:
        raise ConfigError("index.path is not resolved (open the index with Settings.index_section)")
    return settings.path


def _layout(settings: IndexSettings) -> CollectionConfig:
    return CollectionConfig.load(settings.collection_file)


def open_edge_index(settings: IndexSettings, dimension: int) -> ChunkIndex:
    from clinvault.index.edge_store import EdgeVectorStore

    layout = _layout(settings)
    store = EdgeVectorStore(_root(settings) / settings.collection, dimension, layout)
    return ChunkIndex(store, prefetch_factor=layout.search.prefetch_factor)


def open_qdrant_local_index(settings: IndexSettings, dimension: int) -> ChunkIndex:
    path = _root(settings) / "qdrant-local"
    private_dir(path)
    return _qdrant_index(settings, QdrantClient(path=str(path)), dimension, local_mode=True)


def open_qdrant_server_index(settings: IndexSettings, dimension: int) -> ChunkIndex:
    if not settings.url:
        raise ConfigError("index.backend 'qdrant' needs index.url (the Qdrant server URL)")
    api_key = settings.api_key.get_secret_value() if settings.api_key else None
    client = QdrantClient(url=settings.url, api_key=api_key)
    return _qdrant_index(settings, client, dimension)


def _qdrant_index(
    settings: IndexSettings, client: QdrantClient, dimension: int, *, local_mode: bool = False
) -> ChunkIndex:
    from clinvault.index.qdrant_store import ClinvaultQdrantStore

    layout = _layout(settings)
    try:
        store = ClinvaultQdrantStore(
            client, settings.collection, dimension, layout, local_mode=local_mode
        )
    except ConfigError:
        client.close()
        raise
    except Exception as exc:
        client.close()
        raise IndexBackendError(f"cannot open Qdrant collection {settings.collection!r}") from exc
    return ChunkIndex(store, prefetch_factor=layout.search.prefetch_factor)
