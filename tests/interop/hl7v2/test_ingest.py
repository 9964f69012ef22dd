"""HL7 v2 files through ``clinvault ingest``: format registry, replay, MRN identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.settings import Settings
from tests.ingest.conftest import open_pipeline
from tests.interop.hl7v2.conftest import PID, msh

ORU = "\r".join(
    [
        msh("ORU^R01", "LAB1"),
        PID,
        "OBR|1|PL1|FL1|24323-8^Metabolic panel^LN|||20240101080000|||||||||||||||20240101100000|||F",
        "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL|70-105|H|||F",
    ]
)
ADT = "\r".join([msh("ADT^A01", "ADM1"), PID, "PV1|1|I|W1^101||||||||||||||||V100"])


@pytest.fixture
def hl7_settings(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(update={"embedder": embedder}),
            "ingest": settings.ingest.model_copy(update={"detect_phi": False}),
            "hl7v2": settings.hl7v2.model_copy(
                update={"authority_systems": {"HOSP": "http://hospital.example/mrn"}}
            ),
        }
    )


def _ingest(settings: Settings, *paths: Path):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(settings)
    try:
        return pipeline.run(list(paths)), pipeline.vault.patient_tokens()
    finally:
        pipeline.close()


def test_hl7_folder_is_ingested_and_replay_writes_nothing(
    hl7_settings: Settings, tmp_path: Path
) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "adt.hl7").write_text(ADT.replace("\r", "\n"))
    (feed / "oru.txt").write_bytes(ORU.encode())
    (feed / "readme.txt").write_text("not a message\n")
    report, patients = _ingest(hl7_settings, feed)
    assert report.rejected == []
    assert [Path(p).name for p, _ in report.skipped_files] == ["readme.txt"]
    assert len(patients) == 1
    assert report.resources_stored == report.resources_seen >= 5
    assert report.chunks_indexed > 0
    again, _ = _ingest(hl7_settings, feed)
    assert (again.resources_stored, again.resources_unchanged) == (0, report.resources_seen)


def test_a08_replaces_the_patient(hl7_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a01.hl7").write_text(ADT)
    _ingest(hl7_settings, tmp_path / "a01.hl7")
    (tmp_path / "a08.hl7").write_text(
        ADT.replace("ADT^A01", "ADT^A08").replace("ADM1", "ADM2").replace("DOE^JANE", "DOE^JANET")
    )
    report, patients = _ingest(hl7_settings, tmp_path / "a08.hl7")
    assert len(patients) == 1
    assert report.resources_stored == 1  # the Patient; the Encounter is unchanged


def test_an_hl7_mrn_and_a_fhir_identifier_are_one_patient(
    hl7_settings: Settings, tmp_path: Path
) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "fhir-pt-1",
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "system": "http://hospital.example/mrn",
                "value": "12345",
            }
        ],
        "name": [{"family": "DOE", "given": ["JANE"]}],
    }
    (tmp_path / "patient.json").write_text(json.dumps(patient))
    _ingest(hl7_settings, tmp_path / "patient.json")
    (tmp_path / "oru.hl7").write_text(ORU)
    report, patients = _ingest(hl7_settings, tmp_path / "oru.hl7")
    assert report.rejected == []
    assert len(patients) == 1  # the lab result joined the FHIR patient
    pipeline = open_pipeline(hl7_settings)
    try:
        vault = pipeline.vault
        (token,) = vault.patient_tokens()
        stored = vault.patient_resources(token)
    finally:
        pipeline.close()
    kinds = sorted(r["resourceType"] for r in stored)
    assert kinds == ["DiagnosticReport", "Observation", "Patient"]
    (merged,) = [r for r in stored if r["resourceType"] == "Patient"]
    assert merged["id"] == "fhir-pt-1"
    assert {(i.get("system"), i["value"]) for i in merged["identifier"]} >= {
        ("http://hospital.example/mrn", "12345")
    }


def test_without_the_authority_mapping_the_mrn_is_another_patient(
    settings: Settings, hl7_settings: Settings, tmp_path: Path
) -> None:
    unmapped = hl7_settings.model_copy(update={"hl7v2": settings.hl7v2})
    patient = {
        "resourceType": "Patient",
        "id": "fhir-pt-1",
        "identifier": [
            {
                "system": "http://hospital.example/mrn",
                "value": "12345",
                "type": {"coding": [{"code": "MR"}]},
            }
        ],
    }
    (tmp_path / "patient.json").write_text(json.dumps(patient))
    (tmp_path / "oru.hl7").write_text(ORU)
    _ingest(unmapped, tmp_path / "patient.json")
    _, patients = _ingest(unmapped, tmp_path / "oru.hl7")
    assert len(patients) == 2
