"""Each ingest stage on its own: explicit inputs, explicit outputs, plain data between them."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clinvault.clock import FixedClock, seeded_random
from clinvault.ingest import stages
from clinvault.ingest.chunker import Chunker
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.stages import Changes, PatientBatch
from clinvault.keys import KeyRing
from clinvault.model import Chunk
from clinvault.settings import Settings
from clinvault.vault import Stored, Vault
from clinvault.vault.policy import load_policy
from clinvault.vault.store_sql import SqlVaultStore
from clinvault.vault.tokens import VALUE_TOKEN_RE

REF = "Patient/p-1001"
PATIENT = {
    "resourceType": "Patient",
    "id": "p-1001",
    "name": [{"family": "Okafor", "given": ["Chidi"]}],
    "birthDate": "1960-03-05",
    "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "MRN-448812"}],
}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "obs-1",
    "status": "final",
    "subject": {"reference": REF},
    "code": {"text": "Hemoglobin A1c"},
    "valueQuantity": {"value": 7.5, "unit": "%"},
    "effectiveDateTime": "2024-03-05",
    "performer": [{"reference": "Practitioner/prac-1"}],
    "note": [{"text": "Chidi Okafor tolerated the draw. Helen Marsh reviewed it."}],
}
PRACTITIONER = {
    "resourceType": "Practitioner",
    "id": "prac-1",
    "name": [{"family": "Marsh", "given": ["Helen"]}],
}
BATCH = PatientBatch(
    REF,
    ((REF, PATIENT), ("Observation/obs-1", OBSERVATION)),
    shared=(("Practitioner/prac-1", PRACTITIONER),),
    references={REF: REF, "Practitioner/prac-1": "Practitioner/prac-1"},
)
ALL_NEW = Changes((0, 1), (REF, "Observation/obs-1"), (), 0)
PHI = ["Okafor", "Chidi", "Helen Marsh", "MRN-448812", "p-1001", "1960-03-05"]


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    v = Vault(
        store=SqlVaultStore(settings.vault_url),
        keys=KeyRing.from_master(bytes(range(32))),
        policy=load_policy(settings.vault.policy_file),
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), timedelta(seconds=1)),
        random=seeded_random(7),
    )
    yield v
    v.close()


def _plain(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes


def _tokens(vault: Vault) -> dict[str, str]:
    return {k: vault.resource_token(k) for k in (REF, "Observation/obs-1")}


def _chunks(vault: Vault, batch: PatientBatch = BATCH) -> tuple[Any, dict[str, list[Chunk]]]:
    session = vault.patient_session(batch.patient_ref, references=batch.references)
    pseudo = stages.pseudonymize(session, batch)
    positions = stages.to_chunk(batch, ALL_NEW, set())
    notes = stages.scrub_notes(session, NoteScrubber(None), batch, positions)
    chunker = Chunker(vault, 2000, 200)
    chunks = stages.chunk(
        chunker, session.patient_token, _tokens(vault), batch, pseudo, positions, notes
    )
    return session, chunks


# -- detect changes -----------------------------------------------------------------------------


def test_detect_changes_keeps_what_is_new_or_changed() -> None:
    stored = {REF: Stored.UNCHANGED, "Observation/obs-1": Stored.CHANGED}
    changes = stages.detect_changes(BATCH, stored)
    assert changes == Changes((1,), ("Observation/obs-1",), ("Observation/obs-1",), 1)
    assert changes
    assert _plain(changes) == changes


def test_detect_changes_nothing_to_do_and_keyless_resources() -> None:
    unchanged = {REF: Stored.UNCHANGED, "Observation/obs-1": Stored.UNCHANGED}
    assert not stages.detect_changes(BATCH, unchanged)
    keyless = PatientBatch(REF, (("", {"resourceType": "Observation"}),))
    assert stages.detect_changes(keyless, {}) == Changes((0,), ("",), (), 0)
    assert keyless.keyed() == {}


# -- pseudonymize -------------------------------------------------------------------------------


def test_pseudonymize_learns_identifiers_first(vault: Vault) -> None:
    with vault.transaction():
        session = vault.patient_session(REF, references=BATCH.references)
        pseudo = stages.pseudonymize(session, BATCH)
        known = {k.value for k in session.known_values()}
        session.flush()
    assert _plain(pseudo) == pseudo
    assert pseudo.age == "65"
    assert pseudo.patient is pseudo.resources[0]
    dumped = json.dumps(pseudo.resources)
    for value in [*PHI, "obs-1", "2024-03-05"]:
        assert value not in dumped, value
    # the referenced practitioner's name is known before any note is scrubbed
    assert {"Okafor", "Helen Marsh", "MRN-448812"} <= known


def test_pseudonymize_over_the_age_cap(vault: Vault) -> None:
    old = {**PATIENT, "birthDate": "1920-01-01"}
    batch = PatientBatch(REF, ((REF, old),))
    with vault.transaction():
        pseudo = stages.pseudonymize(vault.patient_session(REF), batch)
    assert pseudo.age == "90+"
    assert pseudo.patient is not None
    assert "birthDate" not in pseudo.patient


def test_to_chunk_leaves_out_the_patient_unindexed_and_unchanged() -> None:
    assert stages.to_chunk(BATCH, ALL_NEW, set()) == [1]
    assert stages.to_chunk(BATCH, ALL_NEW, {"Observation"}) == []
    assert stages.to_chunk(BATCH, Changes((0,), (REF,), (), 1), set()) == []


# -- scrub notes --------------------------------------------------------------------------------


def test_scrub_notes_replaces_known_identifiers(vault: Vault) -> None:
    with vault.transaction():
        session = vault.patient_session(REF, references=BATCH.references)
        stages.pseudonymize(session, BATCH)
        notes = stages.scrub_notes(session, NoteScrubber(None), BATCH, [1])
        session.flush()
    assert _plain(notes) == notes
    ((part, text),) = notes["Observation/obs-1"]
    assert part
    for value in ("Okafor", "Chidi", "Helen", "Marsh"):
        assert value not in text
    assert len(VALUE_TOKEN_RE.findall(text)) >= 2
    assert "tolerated the draw" in text


# -- chunk --------------------------------------------------------------------------------------


def test_chunk_makes_resource_note_and_summary_chunks(vault: Vault) -> None:
    with vault.transaction():
        session, chunks = _chunks(vault)
        session.flush()
    assert _plain(chunks) == chunks
    tokens = _tokens(vault)
    kinds = sorted((key, c.kind) for key, cs in chunks.items() for c in cs)
    assert kinds == [
        ("Observation/obs-1", "note"),
        ("Observation/obs-1", "resource"),
        (REF, "summary"),
    ]
    patient = vault.patient_token(REF)
    for key, cs in chunks.items():
        for c in cs:
            assert c.patient == patient
            assert c.resource == tokens[key]
            for value in PHI:
                assert value not in c.text, (c.kind, value)
    resource_chunk = next(c for c in chunks["Observation/obs-1"] if c.kind == "resource")
    assert resource_chunk.chunk_id == vault.chunk_id(tokens["Observation/obs-1"], "resource")
    assert "Hemoglobin A1c" in resource_chunk.text


# -- gate ---------------------------------------------------------------------------------------


def _chunk(text: str, resource_type: str = "Observation", kind: str = "resource") -> Chunk:
    return Chunk(
        chunk_id=f"id-{abs(hash(text))}",
        patient="PT-0",
        resource_type=resource_type,
        resource="RES-0",
        kind=kind,  # type: ignore[arg-type]
        text=text,
    )


def test_gate_refuses_source_ids_and_the_birth_date(vault: Vault) -> None:
    clean = _chunk("HbA1c 7.5 %")
    source = _chunk("see record lab-20931")
    batch = PatientBatch(REF, (*BATCH.resources, ("Observation/lab-20931", {})), BATCH.shared)
    born = _chunk("born 1960-03-05", resource_type="Patient", kind="summary")
    with vault.transaction():
        session = vault.patient_session(REF, references=BATCH.references)
        stages.pseudonymize(session, BATCH)
        gated = stages.gate(session, batch, [clean, source, born])
        session.flush()
    assert gated.passed == [clean]
    assert {(r.chunk.text, r.kind) for r in gated.refused} == {
        ("see record lab-20931", "SOURCE"),
        ("born 1960-03-05", "BIRTH_DATE"),
    }
    assert _plain(gated) == gated


def test_gate_rescans_known_identifiers_before_checking(vault: Vault) -> None:
    """A known name or the patient's code-like id left in a chunk is replaced, not passed."""
    with vault.transaction():
        session = vault.patient_session(REF, references=BATCH.references)
        stages.pseudonymize(session, BATCH)
        gated = stages.gate(session, BATCH, [_chunk("Seen by Okafor for p-1001")])
        session.flush()
    assert gated.refused == []
    (text,) = [c.text for c in gated.passed]
    assert "Okafor" not in text
    assert "p-1001" not in text
    assert len(VALUE_TOKEN_RE.findall(text)) == 2


def test_gate_replaces_values_learned_after_rendering(vault: Vault) -> None:
    late = _chunk("Insurer contact: Zebediah Quill")
    with vault.transaction():
        session = vault.patient_session(REF)
        token = session.token("NAME", "Zebediah Quill")
        gated = stages.gate(session, PatientBatch(REF, ()), [late])
        session.flush()
    assert gated.refused == []
    assert [c.text for c in gated.passed] == [f"Insurer contact: {token}"]


def test_gate_values_are_source_ids_that_read_as_identifiers() -> None:
    batch = PatientBatch(REF, ((REF, {}), ("Condition/Stroke", {}), ("Observation/a1", {})))
    assert stages.gate_values(batch) == ["p-1001", "a1"]
    assert stages.birth_forms(PATIENT)
    assert stages.birth_forms(None) == []


# -- write --------------------------------------------------------------------------------------


@dataclass
class RecordingIndex:
    deleted: list[tuple[str, list[str]]] = field(default_factory=list)
    upserted: list[Chunk] = field(default_factory=list)

    def delete_resources(self, patient: str, resources: Sequence[str]) -> None:
        self.deleted.append((patient, list(resources)))

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        assert len(chunks) == len(vectors)
        self.upserted.extend(chunks)


class LengthEmbedder:
    dimension = 1

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t))] for t in texts]


def test_write_replaces_old_chunks_and_seals_the_changed_originals(vault: Vault) -> None:
    index = RecordingIndex()
    changes = Changes((1,), ("Observation/obs-1",), ("Observation/obs-1",), 1)
    with vault.transaction():
        session, chunks = _chunks(vault)
        passed = chunks["Observation/obs-1"][:1]
        sealed = stages.write(
            session, index, LengthEmbedder(), BATCH, changes, _tokens(vault), chunks, passed
        )  # type: ignore[arg-type]
    assert sealed == 1
    patient = vault.patient_token(REF)
    assert index.deleted == [(patient, [vault.resource_token("Observation/obs-1")])]
    assert index.upserted == passed
    assert vault.stored(BATCH.keyed()) == {REF: Stored.NEW, "Observation/obs-1": Stored.UNCHANGED}
    assert vault.patient_resources(patient) == [OBSERVATION]


def test_write_without_passed_chunks_still_seals(vault: Vault) -> None:
    index = RecordingIndex()
    with vault.transaction():
        session, chunks = _chunks(vault)
        stages.write(session, index, LengthEmbedder(), BATCH, ALL_NEW, _tokens(vault), chunks, [])  # type: ignore[arg-type]
    assert index.deleted == []
    assert index.upserted == []
    assert set(vault.stored(BATCH.keyed()).values()) == {Stored.UNCHANGED}
