"""Index backends (``index.backend``): each opens a :class:`ChunkIndex` over its store.

- ``edge``: an in-process Qdrant Edge shard under ``<index_path>/<collection>`` (default).
- ``qdrant-local``: qdrant-client path mode under ``<index_path>/qdrant-local`` (tests).
- ``qdrant``: a Qdrant server or cluster at ``index.url`` with ``index.api_key``.
"""

from __future__ import annotations

from qdrant_client import QdrantClient

from clinvault.errors import ConfigError, IndexBackendError
from clinvault.index.chunk_index import ChunkIndex
from clinvault.index.collection import CollectionConfig
from clinvault.private_files import private_dir
from clinvault.settings import Settings


def _layout(settings: Settings) -> CollectionConfig:
    return CollectionConfig.load(settings.index.collection_file)


def open_edge_index(settings: Settings, dimension: int) -> ChunkIndex:
    from clinvault.index.edge_store import EdgeVectorStore

    layout = _layout(settings)
    store = EdgeVectorStore(settings.index_path / settings.index.collection, dimension, layout)
    return ChunkIndex(store, prefetch_factor=layout.search.prefetch_factor)


def open_qdrant_local_index(settings: Settings, dimension: int) -> ChunkIndex:
    path = settings.index_path / "qdrant-local"
    private_dir(path)
    return _qdrant_index(settings, QdrantClient(path=str(path)), dimension, local_mode=True)


def open_qdrant_server_index(settings: Settings, dimension: int) -> ChunkIndex:
    if not settings.index.url:
        raise ConfigError("index.backend 'qdrant' needs index.url (the Qdrant server URL)")
    api_key = settings.index.api_key.get_secret_value() if settings.index.api_key else None
    client = QdrantClient(url=settings.index.url, api_key=api_key)
    return _qdrant_index(settings, client, dimension)


def _qdrant_index(
    settings: Settings, client: QdrantClient, dimension: int, *, local_mode: bool = False
) -> ChunkIndex:
    from clinvault.index.qdrant_store import ClinvaultQdrantStore

    layout = _layout(settings)
    try:
        store = ClinvaultQdrantStore(
            client, settings.index.collection, dimension, layout, local_mode=local_mode
        )
    except ConfigError:
        client.close()
        raise
    except Exception as exc:
        client.close()
        raise IndexBackendError(
            f"cannot open Qdrant collection {settings.index.collection!r}"
        ) from exc
    return ChunkIndex(store, prefetch_factor=layout.search.prefetch_factor)
