"""One contract for every vector-index backend (edge, qdrant-local, qdrant server).

Vectors come from the hashing embedder: fast and deterministic, so these tests check
the index (payloads, filters, fusion, ordering, persistence), not the model.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest

from clinvault.index.base import SearchMode, SearchQuery, VectorIndex
from clinvault.index.chunk_index import ChunkIndex
from clinvault.index.hashing import HashingEmbedder
from clinvault.index.nodes import LLAMA_INDEX_PAYLOAD_KEYS
from clinvault.model import PAYLOAD_FIELDS, Chunk

from .index_factories import (
    GLUCOSE,
    HBA1C,
    METFORMIN,
    METFORMIN_TEXT,
    PATIENT_A,
    PATIENT_B,
    background_chunks,
    hba1c_series,
    make_chunk,
)

MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "sparse")


def upsert(index: VectorIndex, embedder: HashingEmbedder, chunks: list[Chunk]) -> None:
    index.upsert(chunks, embedder.embed_documents([c.text for c in chunks]))


def query(
    embedder: HashingEmbedder, patient: str, text: str, mode: SearchMode = "hybrid", **kw: object
) -> SearchQuery:
    return SearchQuery(
        patient=patient, text=text, vector=embedder.embed_query(text), mode=mode, **kw
    )  # type: ignore[arg-type]


def test_upsert_count_scroll_round_trip_payloads(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    chunks = [
        make_chunk(PATIENT_A, 1, "Observation HbA1c 6.9 %.", date="2020-03-01", codes=(HBA1C,),
                   display="Hemoglobin A1c/Hemoglobin.total in Blood"),
        make_chunk(PATIENT_A, 2, "Condition hypertension.", resource_type="Condition"),
        make_chunk(PATIENT_A, 3, METFORMIN_TEXT, resource_type="MedicationRequest",
                   date="2021-07-04T10:15:00+02:00", codes=(METFORMIN, "urn:oid:1.2|x")),
        make_chunk(PATIENT_B, 1, "Observation HbA1c 7.4 %.", date="2019-01-01", codes=(HBA1C,)),
    ]  # fmt: skip
    upsert(index, embedder, chunks)

    assert index.count() == 4
    assert index.count(PATIENT_A) == 3
    assert index.count(PATIENT_B) == 1
    assert index.count("PT-0000000000000000") == 0
    stored = sorted((c.payload() for c in index.scroll()), key=lambda p: p["chunk_id"])
    assert stored == sorted((c.payload() for c in chunks), key=lambda p: p["chunk_id"])
    assert {c.chunk_id for c in index.scroll(PATIENT_B)} == {chunks[3].chunk_id}


def test_reupsert_of_same_chunk_ids_replaces_without_duplicates(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    first = background_chunks(PATIENT_A)
    upsert(index, embedder, first)
    changed = [
        make_chunk(PATIENT_A, i, c.text + " Amended.", resource_type=c.resource_type, date=c.date)
        for i, c in enumerate(first)
    ]
    upsert(index, embedder, changed)

    assert index.count(PATIENT_A) == len(first)
    assert {c.chunk_id for c in index.scroll(PATIENT_A)} == {c.chunk_id for c in first}
    assert all(c.text.endswith("Amended.") for c in index.scroll(PATIENT_A))


def test_delete_resources_removes_only_that_patients_points(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    a_chunks = [make_chunk(PATIENT_A, 1, "Observation HbA1c part one.", part=p) for p in range(3)]
    a_other = make_chunk(PATIENT_A, 2, "Condition asthma.", resource_type="Condition")
    # same resource token under another patient: a delete for A must not touch it
    b_same_token = Chunk(**{**a_chunks[0].payload(), "chunk_id": make_chunk(PATIENT_B, 9, "x")
                          .chunk_id, "patient": PATIENT_B, "codes": ()})  # fmt: skip
    upsert(index, embedder, [*a_chunks, a_other, b_same_token])

    index.delete_resources(PATIENT_A, [a_chunks[0].resource])

    assert {c.chunk_id for c in index.scroll(PATIENT_A)} == {a_other.chunk_id}
    assert index.count(PATIENT_B) == 1
    index.delete_resources(PATIENT_A, [])
    assert index.count() == 2


def test_delete_patient_removes_every_point_of_that_patient_only(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    a_chunks = [
        make_chunk(PATIENT_A, n, f"Observation HbA1c {n}.", codes=(HBA1C,)) for n in range(5)
    ]
    b_chunks = [
        make_chunk(PATIENT_B, n, f"Observation HbA1c {n}.", codes=(HBA1C,)) for n in range(2)
    ]
    upsert(index, embedder, [*a_chunks, *b_chunks])

    assert index.delete_patient(PATIENT_A) == 5

    assert index.count(PATIENT_A) == 0
    assert list(index.scroll(PATIENT_A)) == []
    assert index.search(query(embedder, PATIENT_A, "HbA1c")) == []
    assert index.latest(PATIENT_A, codes=[HBA1C]) == []
    assert {c.chunk_id for c in index.scroll(PATIENT_B)} == {c.chunk_id for c in b_chunks}
    assert index.delete_patient(PATIENT_A) == 0


@pytest.mark.parametrize("mode", MODES)
def test_patient_filter_isolates_even_an_exact_text_match(
    index: VectorIndex, embedder: HashingEmbedder, mode: SearchMode
) -> None:
    secret = "Condition Huntington disease confirmed by genetic test."
    upsert(index, embedder, [*background_chunks(PATIENT_A), make_chunk(PATIENT_B, 1, secret)])

    hits = index.search(query(embedder, PATIENT_A, secret, mode, limit=50))

    assert hits, "patient A has chunks, the search must return some"
    assert {h.chunk.patient for h in hits} == {PATIENT_A}
    assert all("Huntington" not in h.chunk.text for h in hits)
    b_hits = index.search(query(embedder, PATIENT_B, secret, mode))
    assert [h.chunk.text for h in b_hits][:1] == [secret]


def test_unfiltered_queries_cannot_be_built(index: VectorIndex) -> None:
    with pytest.raises(ValueError, match="patient"):
        SearchQuery(patient="", text="x", vector=[0.0])
    with pytest.raises(ValueError, match="patient"):
        index.latest("")
    with pytest.raises(ValueError, match="patient"):
        index.delete_resources("", ["RES-0000000000000000"])


@pytest.mark.parametrize(
    ("text", "words"),
    [("4548-4", "HbA1c LOINC 4548-4"), ("metformin", "metformin")],
)
def test_hybrid_ranks_an_exact_keyword_match_first(
    index: VectorIndex, embedder: HashingEmbedder, text: str, words: str
) -> None:
    noise = background_chunks(PATIENT_A)
    targets = [
        make_chunk(PATIENT_A, 50, "Observation LOINC 4548-4 result 7.1 % on 2020-02-02.",
                   codes=(HBA1C,)),
        make_chunk(PATIENT_A, 51, METFORMIN_TEXT, resource_type="MedicationRequest",
                   codes=(METFORMIN,)),
    ]  # fmt: skip
    upsert(index, embedder, [*noise, *targets, make_chunk(PATIENT_B, 1, words)])

    for mode in ("hybrid", "sparse"):
        hits = index.search(query(embedder, PATIENT_A, text, mode, limit=5))  # type: ignore[arg-type]
        assert text in hits[0].chunk.text, f"{mode}: {[h.chunk.text for h in hits]}"
        assert all(hits[0].score > h.score for h in hits[1:])


def test_search_narrows_to_resource_types_and_codes(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    upsert(index, embedder, [*background_chunks(PATIENT_A), *hba1c_series(PATIENT_A, 5)])
    meds = index.search(query(embedder, PATIENT_A, "tablet", resource_types=("MedicationRequest",)))
    assert meds
    assert {h.chunk.resource_type for h in meds} == {"MedicationRequest"}
    labs = index.search(query(embedder, PATIENT_A, "blood", codes=(HBA1C,), limit=20))
    assert len(labs) == 5
    assert all(HBA1C in h.chunk.codes for h in labs)
    none = index.search(query(embedder, PATIENT_A, "blood", codes=(GLUCOSE,)))
    assert none == []


def test_latest_returns_newest_first_among_many_similar_chunks(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    series = hba1c_series(PATIENT_A, 20)
    shuffled = series[:]
    random.Random(3).shuffle(shuffled)
    newer_glucose = make_chunk(PATIENT_A, 300, "Observation Glucose 131 mg/dL.",
                               date="2030-01-01", codes=(GLUCOSE,))  # fmt: skip
    b_series = hba1c_series(PATIENT_B, 3, first_n=500)
    b_newest = make_chunk(PATIENT_B, 900, "Observation HbA1c 9.9 %.", date="2031-01-01",
                          codes=(HBA1C,))  # fmt: skip
    undated = make_chunk(PATIENT_A, 301, "Observation HbA1c pending.", codes=(HBA1C,))
    upsert(index, embedder, [*shuffled, newer_glucose, *b_series, b_newest, undated])

    latest = index.latest(PATIENT_A, codes=[HBA1C], limit=5)
    assert [c.chunk_id for c in latest] == [c.chunk_id for c in series[::-1][:5]]

    everything = index.latest(PATIENT_A, limit=100)
    assert everything[0].chunk_id == newer_glucose.chunk_id
    assert len(everything) == 21  # the undated chunk cannot be ordered
    either = index.latest(PATIENT_A, codes=[GLUCOSE], resource_types=["Condition"], limit=3)
    assert [c.chunk_id for c in either] == [newer_glucose.chunk_id]
    assert index.latest(PATIENT_A, codes=[HBA1C], limit=0) == []


def test_list_records_reads_every_record_of_the_types_beyond_any_cap(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    """A list question reads the whole listing: 700 procedures (more than one scroll page
    and far more than the 40 search candidates), newest first, undated last, no other type
    and no other patient's."""
    start = date(1990, 1, 1)
    procedures = [
        make_chunk(PATIENT_A, 1000 + i, f"Procedure: check-up {i} performed.",
                   resource_type="Procedure", date=(start + timedelta(days=17 * i)).isoformat())
        for i in range(700)
    ]  # fmt: skip
    undated = make_chunk(PATIENT_A, 2000, "Procedure: undated.", resource_type="Procedure")
    vaccine = make_chunk(PATIENT_A, 2001, "Immunization: influenza.",
                         resource_type="Immunization", date="2020-10-01")  # fmt: skip
    others = [
        *background_chunks(PATIENT_A, first_n=3000),
        make_chunk(PATIENT_B, 1, "Procedure: check-up 1 performed.", resource_type="Procedure",
                   date="2035-01-01"),
    ]  # fmt: skip
    shuffled = [*procedures, undated, vaccine, *others]
    random.Random(5).shuffle(shuffled)
    upsert(index, embedder, shuffled)

    colonoscopy = next(c for c in others if c.text.startswith("Procedure colonoscopy"))
    expected = sorted([*procedures, colonoscopy], key=lambda c: c.date or "", reverse=True)
    listed = index.list_records(PATIENT_A, resource_types=["Procedure"])
    assert [c.chunk_id for c in listed] == [c.chunk_id for c in [*expected, undated]]
    assert {c.patient for c in listed} == {PATIENT_A}

    both = index.list_records(PATIENT_A, resource_types=["Immunization", "AllergyIntolerance"])
    assert {c.resource_type for c in both} == {"Immunization", "AllergyIntolerance"}
    assert both[0].chunk_id == vaccine.chunk_id
    assert len(both) == 3  # the vaccine, the background vaccine and allergy (undated)
    assert index.list_records(PATIENT_B, resource_types=["Condition"]) == []
    with pytest.raises(ValueError, match="resource type"):
        index.list_records(PATIENT_A, resource_types=[])
    with pytest.raises(ValueError, match="patient"):
        index.list_records("", resource_types=["Procedure"])


def test_payload_holds_only_chunk_fields_and_llama_index_bookkeeping(
    index: VectorIndex, embedder: HashingEmbedder
) -> None:
    chunk = make_chunk(PATIENT_A, 1, METFORMIN_TEXT, date="2021-07-04", codes=(METFORMIN,),
                       display="metformin hydrochloride 500 MG")  # fmt: skip
    upsert(index, embedder, [chunk])
    assert isinstance(index, ChunkIndex)

    [payload] = list(index.store.scroll_payloads(None))

    assert set(payload) == set(PAYLOAD_FIELDS) | LLAMA_INDEX_PAYLOAD_KEYS
    assert {k: payload[k] for k in PAYLOAD_FIELDS} == chunk.payload()
    assert payload["_node_type"] == "TextNode"
    assert payload["doc_id"] == payload["document_id"] == payload["ref_doc_id"] == "None"
    node = json.loads(payload["_node_content"])
    assert node["metadata"] == chunk.payload()
    assert node["id_"] == chunk.chunk_id
    assert node["text"] == chunk.text
    assert node["relationships"] == {}
    assert node["embedding"] is None
    assert set(node["excluded_embed_metadata_keys"]) == set(PAYLOAD_FIELDS)
    assert set(node["excluded_llm_metadata_keys"]) == set(PAYLOAD_FIELDS)
    assert set(node) <= {
        "id_", "embedding", "metadata", "excluded_embed_metadata_keys",
        "excluded_llm_metadata_keys", "relationships", "metadata_template",
        "metadata_separator", "text", "text_resource", "text_template", "mimetype",
        "start_char_idx", "end_char_idx", "class_name",
    }  # fmt: skip


def test_index_survives_close_and_reopen(
    backend: str, open_backend: object, embedder: HashingEmbedder
) -> None:
    if backend == "qdrant":
        pytest.skip("the server persists by itself; reopen is covered by local backends")
    opener = open_backend
    assert callable(opener)
    first: VectorIndex = opener()
    series = hba1c_series(PATIENT_A, 4)
    chunks = [*background_chunks(PATIENT_A), *series]
    upsert(first, embedder, chunks)
    probe = query(embedder, PATIENT_A, "Hemoglobin A1c/Hemoglobin.total in Blood", limit=4)
    # the four results tie on BM25, so only the set (not the order) is stable across a reload
    before = {h.chunk.chunk_id for h in first.search(probe)}
    assert before == {c.chunk_id for c in series}
    assert isinstance(first.optimize(), bool)
    assert {h.chunk.chunk_id for h in first.search(probe)} == before
    first.close()

    second: VectorIndex = opener()
    assert second.count(PATIENT_A) == len(chunks)
    assert sorted(second.scroll(PATIENT_A), key=lambda c: c.chunk_id) == sorted(
        chunks, key=lambda c: c.chunk_id
    )
    assert {h.chunk.chunk_id for h in second.search(probe)} == before
    assert second.latest(PATIENT_A, codes=[HBA1C], limit=1)[0].chunk_id == series[-1].chunk_id
