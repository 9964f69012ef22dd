"""The retriever on an in-memory index double: what each intent puts in the evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from clinvault.ask.retrieval import Retriever
from clinvault.index.base import Embedder, SearchQuery, VectorIndex
from clinvault.model import Chunk, Hit

PATIENT = "PT-3F9A1C0B7D2E4A61"


def _chunk(n: int, resource_type: str, date: str) -> Chunk:
    return Chunk(
        chunk_id=f"00000000-0000-0000-0000-{n:012d}",
        patient=PATIENT,
        resource_type=resource_type,
        resource=f"RES-{n:016X}",
        kind="resource",
        text=f"{resource_type}: record {n} on {date}.",
        date=date,
    )


class _Embedder:
    name = "constant"
    dimension = 2

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]


class _Index:
    """Search returns every chunk in insertion order; ``latest`` filters by type, newest first."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def search(self, query: SearchQuery) -> list[Hit]:
        assert query.patient == PATIENT
        return [Hit(c, 1.0 / (i + 1)) for i, c in enumerate(self.chunks[: query.limit])]

    def latest(
        self,
        patient: str,
        *,
        codes: Sequence[str] = (),
        resource_types: Sequence[str] = (),
        limit: int = 10,
    ) -> list[Chunk]:
        assert patient == PATIENT
        found = [c for c in self.chunks if c.resource_type in resource_types]
        return sorted(found, key=lambda c: c.date or "", reverse=True)[:limit]

    def list_records(self, patient: str, *, resource_types: Sequence[str]) -> list[Chunk]:
        assert patient == PATIENT
        found = [c for c in self.chunks if c.resource_type in resource_types]
        return sorted(found, key=lambda c: c.date or "", reverse=True)


def _retriever(chunks: list[Chunk]) -> Retriever:
    return Retriever(cast(Embedder, _Embedder()), cast(VectorIndex, _Index(chunks)), candidates=40)


def test_a_list_question_gets_every_record_even_beyond_top_k() -> None:
    allergies = [_chunk(i, "AllergyIntolerance", f"1975-06-{i + 1:02d}") for i in range(10)]
    noise = [_chunk(100 + i, "Observation", f"2020-01-{i + 1:02d}") for i in range(20)]
    retrieval = _retriever(noise + allergies).retrieve(
        PATIENT, "What allergies does the patient have?", top_k=8
    )
    assert retrieval.intent.kind == "list"
    listed = [e.chunk for e in retrieval.evidence if e.source == "list"]
    assert sorted(c.chunk_id for c in listed) == sorted(c.chunk_id for c in allergies)
    assert len(retrieval.evidence) == 10


def test_a_short_list_is_topped_up_with_search_hits_to_top_k() -> None:
    vaccines = [_chunk(i, "Immunization", f"2019-0{i + 1}-01") for i in range(3)]
    noise = [_chunk(100 + i, "Observation", f"2020-01-{i + 1:02d}") for i in range(20)]
    retrieval = _retriever(noise + vaccines).retrieve(
        PATIENT, "Which immunizations has she had?", top_k=8
    )
    assert [e.source for e in retrieval.evidence] == ["list"] * 3 + ["search"] * 5
    assert [e.chunk.date for e in retrieval.evidence[:3]] == [
        "2019-03-01",
        "2019-02-01",
        "2019-01-01",
    ]


def test_a_lookup_stays_within_top_k() -> None:
    chunks = [_chunk(i, "Observation", f"2020-01-{i + 1:02d}") for i in range(20)]
    retrieval = _retriever(chunks).retrieve(PATIENT, "Was she bitten by a dog?", top_k=8)
    assert retrieval.intent.kind == "lookup"
    assert len(retrieval.evidence) == 8


class _CodedIndex(_Index):
    """``latest`` by codes too, as the real index: any chunk carrying one of them."""

    def latest(
        self,
        patient: str,
        *,
        codes: Sequence[str] = (),
        resource_types: Sequence[str] = (),
        limit: int = 10,
    ) -> list[Chunk]:
        assert patient == PATIENT
        found = [
            c for c in self.chunks if c.resource_type in resource_types or set(c.codes) & set(codes)
        ]
        return sorted(found, key=lambda c: c.date or "", reverse=True)[:limit]


A1C = "http://loinc.org|4548-4"


def test_latest_results_lead_before_notes_that_carry_the_same_code() -> None:
    """An annotation on the newest HbA1c is indexed as a note chunk with the same code and
    date; the three newest *results* still lead the evidence."""
    results = [
        replace(_chunk(i, "Observation", f"202{i}-05-01"), codes=(A1C,)) for i in range(1, 5)
    ]
    annotation = replace(
        results[-1],
        chunk_id="00000000-0000-0000-0000-000000000099",
        kind="note",
        text="Observation note (Hemoglobin A1c), part 1/1: HbA1c repeated, sample haemolysed.",
        date="2024-05-01T10:00:00Z",
    )
    index = _CodedIndex([*results, annotation])
    retriever = Retriever(cast(Embedder, _Embedder()), cast(VectorIndex, index), candidates=40)

    retrieval = retriever.retrieve(PATIENT, "What is the latest HbA1c?", top_k=8)

    assert retrieval.codes[0] == A1C
    leading = [e.chunk for e in retrieval.evidence if e.source == "latest"]
    assert [c.kind for c in leading] == ["resource"] * 3
    assert [c.date for c in leading] == ["2024-05-01", "2023-05-01", "2022-05-01"]
    assert annotation in [e.chunk for e in retrieval.evidence]  # still found by search


def test_a_list_longer_than_the_candidates_is_read_in_full() -> None:
    """Synthea patients have hundreds of procedures: the listing has no 40-candidate cap."""
    procedures = [
        _chunk(i, "Procedure", f"{1950 + i // 12}-{i % 12 + 1:02d}-01") for i in range(150)
    ]
    noise = [_chunk(1000 + i, "Observation", f"2020-01-{i % 28 + 1:02d}") for i in range(60)]
    retrieval = _retriever(noise + procedures).retrieve(
        PATIENT, "Which procedures has the patient had?", top_k=8
    )
    listed = [e.chunk for e in retrieval.evidence if e.source == "list"]
    assert sorted(c.chunk_id for c in listed) == sorted(c.chunk_id for c in procedures)
    assert listed[0].date == "1962-06-01"  # newest first


def _with_text(n: int, resource_type: str, text: str) -> Chunk:
    return replace(_chunk(n, resource_type, f"2019-01-{n % 28 + 1:02d}"), text=text)


def test_current_records_leave_out_ended_ones_and_errors_are_never_listed() -> None:
    conditions = [
        _with_text(1, "Condition", "Condition: Hypertension; clinical status active."),
        _with_text(2, "Condition", "Condition: Sinusitis; clinical status resolved; abated x."),
        _with_text(3, "Condition", "Condition: Asthma; verification entered-in-error."),
        _with_text(4, "Condition", "Condition: Anemia; clinical status remission."),
    ]
    vaccines = [
        _with_text(5, "Immunization", "Immunization: Influenza on 2019-01-05; status completed."),
        _with_text(6, "Immunization", "Immunization: Td on 2019-01-06; status not-done."),
    ]
    retriever = _retriever([*conditions, *vaccines])

    def listed(question: str) -> set[str]:
        evidence = retriever.retrieve(PATIENT, question, top_k=1).evidence
        return {e.chunk.chunk_id for e in evidence if e.source == "list"}

    ids = [c.chunk_id for c in [*conditions, *vaccines]]
    assert listed("What are the patient's active problems?") == {ids[0]}
    assert listed("Which conditions has the patient had?") == {ids[0], ids[1], ids[3]}
    # a completed vaccine is current history, not an ended record; a vaccine not given is no fact
    assert listed("Which immunizations are current?") == {ids[4]}


class _RecordingEmbedder(_Embedder):
    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)


class _RecordingIndex(_Index):
    def __init__(self, chunks: list[Chunk]) -> None:
        super().__init__(chunks)
        self.texts: list[str] = []

    def search(self, query: SearchQuery) -> list[Hit]:
        self.texts.append(query.text)
        return super().search(query)


def test_a_lay_term_is_searched_under_its_clinical_name_too() -> None:
    embedder, index = _RecordingEmbedder(), _RecordingIndex([_chunk(1, "Condition", "2020-01-01")])
    retriever = Retriever(cast(Embedder, embedder), cast(VectorIndex, index), candidates=40)
    retriever.retrieve(PATIENT, "Any history of heart attack?", top_k=8)
    assert "myocardial infarction" in index.texts[0]
    assert "myocardial infarction" in embedder.queries[0]
    retriever.retrieve(PATIENT, "What is the latest HbA1c?", top_k=8)
    assert index.texts[1] == "What is the latest HbA1c?"  # nothing to add: asked as is
