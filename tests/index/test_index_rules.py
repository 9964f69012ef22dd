"""The rules around the stores: node privacy, filters, fusion, layout and backend config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qdrant_edge as qe
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryResult,
)

from clinvault.errors import ConfigError, PrivacyError
from clinvault.index import INDEXES, open_index
from clinvault.index.base import SearchQuery
from clinvault.index.chunk_index import ChunkIndex
from clinvault.index.collection import CollectionConfig
from clinvault.index.edge_filters import to_edge_filter
from clinvault.index.filters import latest_filters, search_filters
from clinvault.index.fusion import ReciprocalRankFusion
from clinvault.index.nodes import chunk_to_node, require_chunk_node
from clinvault.model import Chunk
from clinvault.settings import Settings

from .index_factories import HBA1C, PATIENT_A, PATIENT_B, make_chunk


def test_chunk_nodes_pass_the_guard_and_exclude_every_field_from_embed_and_llm() -> None:
    chunk = make_chunk(PATIENT_A, 1, "Observation HbA1c 7.1 %.", date="2020-01-01")
    node = chunk_to_node(chunk, [0.1, 0.2])
    require_chunk_node(node)
    assert node.node_id == chunk.chunk_id
    assert node.get_content(metadata_mode="embed") == chunk.text  # type: ignore[arg-type]
    assert node.get_content(metadata_mode="llm") == chunk.text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda n: n.metadata.update({"source_id": "Patient/123"}),
        lambda n: n.relationships.update(
            {NodeRelationship.SOURCE: RelatedNodeInfo(node_id="Patient/123")}
        ),
        lambda n: setattr(n, "excluded_llm_metadata_keys", []),
        lambda n: setattr(n, "id_", "another-id"),
    ],
)
def test_guard_refuses_nodes_that_could_leak(spoil: Any) -> None:
    node = chunk_to_node(make_chunk(PATIENT_A, 1, "x"), [0.1])
    spoil(node)
    with pytest.raises(PrivacyError):
        require_chunk_node(node)


def test_search_filters_always_start_with_the_patient() -> None:
    with pytest.raises(ValueError, match="patient"):
        search_filters("")
    filters = search_filters(PATIENT_A, resource_types=["Observation"], codes=[HBA1C])
    assert filters.condition == FilterCondition.AND
    first = filters.filters[0]
    assert isinstance(first, MetadataFilter)
    assert (first.key, first.value, first.operator) == ("patient", PATIENT_A, FilterOperator.EQ)
    alternatives = latest_filters(PATIENT_A, codes=[HBA1C], resource_types=["Condition"])
    nested = alternatives.filters[1]
    assert isinstance(nested, MetadataFilters)
    assert nested.condition == FilterCondition.OR


def test_edge_filter_translation_keeps_structure() -> None:
    edge = to_edge_filter(latest_filters(PATIENT_A, codes=[HBA1C], resource_types=["Condition"]))
    assert edge.must is not None
    patient, alternatives = edge.must
    assert isinstance(patient, qe.FieldCondition)
    assert patient.key == "patient"
    assert isinstance(alternatives, qe.Filter)
    assert alternatives.should is not None
    assert [c.key for c in alternatives.should] == ["codes", "resource_type"]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="not supported"):
        to_edge_filter(
            MetadataFilters(
                filters=[MetadataFilter(key="text", value="x", operator=FilterOperator.TEXT_MATCH)]
            )
        )


def result(ids: list[str]) -> VectorStoreQueryResult:
    return VectorStoreQueryResult(nodes=[TextNode(id_=i, text=i) for i in ids], ids=ids)


def test_reciprocal_rank_fusion_matches_qdrant_formula() -> None:
    fused = ReciprocalRankFusion(k=60)(result(["a", "b", "c"]), result(["c", "d"]), top_k=3)
    assert fused.ids == ["c", "a", "b"]
    assert fused.similarities == pytest.approx([1 / 62 + 1 / 60, 1 / 60, 1 / 61])


class ForeignStore:
    """A misbehaving store that ignores the patient filter."""

    def __init__(self, chunk: Chunk) -> None:
        self.chunk = chunk

    def add(self, nodes: list[Any], **add_kwargs: Any) -> list[str]:
        return []

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        node = chunk_to_node(self.chunk, [1.0])
        return VectorStoreQueryResult(nodes=[node], similarities=[1.0], ids=[node.node_id])

    def delete_where(self, filters: MetadataFilters) -> None: ...

    def count_where(self, filters: MetadataFilters | None) -> int:
        return 1

    def scroll_payloads(self, filters: MetadataFilters | None) -> Iterator[dict[str, Any]]:
        yield self.chunk.payload()

    def newest_payloads(self, filters: MetadataFilters, key: str, limit: int) -> list[Any]:
        return [self.chunk.payload()]

    def close(self) -> None: ...


def test_chunk_index_withholds_chunks_of_another_patient() -> None:
    index = ChunkIndex(ForeignStore(make_chunk(PATIENT_B, 1, "secret")))
    with pytest.raises(PrivacyError):
        index.search(SearchQuery(patient=PATIENT_A, text="x", vector=[1.0]))
    with pytest.raises(PrivacyError):
        index.latest(PATIENT_A)
    with pytest.raises(PrivacyError):
        list(index.scroll(PATIENT_A))


def test_collection_config_is_read_and_checked(tmp_path: Path, settings: Settings) -> None:
    layout = CollectionConfig.load(settings.index.collection_file)
    assert set(layout.payload_indexes) == {
        "patient", "resource_type", "resource", "kind", "codes", "date",
    }  # fmt: skip
    assert layout.payload_indexes["date"].type == "datetime"
    assert layout.payload_indexes["patient"].is_tenant
    bad = tmp_path / "collection.toml"
    bad.write_text('[dense]\ndistance = "hamming"\n')
    with pytest.raises(ConfigError, match=r"dense\.distance"):
        CollectionConfig.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        CollectionConfig.load(tmp_path / "missing.toml")


def test_edge_index_refuses_another_embedder_dimension(settings: Settings) -> None:
    with open_index(settings.index_section, 384) as index:  # type: ignore[attr-defined]
        index.upsert([make_chunk(PATIENT_A, 1, "x")], [[1.0] * 384])
    with pytest.raises(ConfigError, match="rebuild the index"):
        open_index(settings.index_section, 768)


def test_server_backend_needs_a_url(settings: Settings) -> None:
    server = Settings.load(home=settings.home, index={"backend": "qdrant"})
    with pytest.raises(ConfigError, match=r"index\.url"):
        open_index(server.index_section, 384)
    with pytest.raises(ConfigError, match="unknown vector index backend"):
        INDEXES.create("faiss", settings, 384)


def test_edge_store_speaks_the_llama_index_store_api(tmp_path: Path) -> None:
    from clinvault.index.edge_store import EdgeVectorStore
    from clinvault.index.filters import patient_filters
    from clinvault.settings import project_file

    layout = CollectionConfig.load(project_file("indexing", "collection.toml"))
    store = EdgeVectorStore(tmp_path / "shard", 4, layout)
    chunks = [make_chunk(PATIENT_A, n, f"text {n}") for n in range(3)]
    chunks.append(make_chunk(PATIENT_B, 9, "text b"))
    assert store.add([chunk_to_node(c, [1.0, float(i), 0.0, 1.0]) for i, c in enumerate(chunks)])

    assert [n.node_id for n in store.get_nodes(node_ids=[chunks[0].chunk_id])] == [
        chunks[0].chunk_id
    ]
    assert [n.node_id for n in store.get_nodes(filters=patient_filters(PATIENT_B))] == [
        chunks[3].chunk_id
    ]
    found = store.query(VectorStoreQuery(query_embedding=[1.0, 2.0, 0.0, 1.0], similarity_top_k=1))
    assert found.ids == [chunks[2].chunk_id]
    store.delete_nodes(node_ids=[chunks[0].chunk_id])
    assert store.count_where(None) == 3
    with pytest.raises(ValueError, match="dimensions"):
        store.add([chunk_to_node(make_chunk(PATIENT_A, 5, "x"), [1.0])])
    spoiled = chunk_to_node(make_chunk(PATIENT_A, 6, "x"), [1.0, 0.0, 0.0, 0.0])
    spoiled.metadata["name"] = "Jane"
    with pytest.raises(PrivacyError):
        store.add([spoiled])
    store.clear()
    assert store.count_where(None) == 0
    store.close()
