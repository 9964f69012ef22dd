"""The collection layout (``indexing/collection.toml``) as qdrant-edge shard config."""

from __future__ import annotations

import qdrant_edge as qe

from clinvault.index.collection import CollectionConfig, PayloadIndex

_DISTANCES = {
    "cosine": qe.Distance.Cosine,
    "dot": qe.Distance.Dot,
    "euclid": qe.Distance.Euclid,
}


def edge_config(layout: CollectionConfig, dimension: int) -> qe.EdgeConfig:
    hnsw = layout.hnsw
    return qe.EdgeConfig(
        vectors={
            layout.dense.name: qe.EdgeVectorParams(
                size=dimension, distance=_DISTANCES[layout.dense.distance]
            )
        },
        sparse_vectors={
            layout.sparse.name: qe.EdgeSparseVectorParams(
                modifier=qe.Modifier.Idf if layout.sparse.idf else None
            )
        },
        hnsw_config=qe.HnswIndexConfig(
            m=hnsw.m,
            ef_construct=hnsw.ef_construct,
            full_scan_threshold=hnsw.full_scan_threshold,
            payload_m=hnsw.payload_m,
        ),
    )


def payload_index_schema(index: PayloadIndex) -> qe.KeywordIndexParams | qe.DatetimeIndexParams:
    if index.type == "keyword":
        return qe.KeywordIndexParams(is_tenant=index.is_tenant or None)
    return qe.DatetimeIndexParams()


def search_params(layout: CollectionConfig) -> qe.SearchParams:
    return qe.SearchParams(hnsw_ef=layout.search.hnsw_ef)
