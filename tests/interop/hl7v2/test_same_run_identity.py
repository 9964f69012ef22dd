"""An HL7 MRN and a FHIR Patient.identifier with the same system/value are one vault
patient even when both arrive in the same ingest run, whatever the order of the inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.settings import Settings
from tests.ingest.conftest import open_pipeline
from tests.interop.hl7v2.test_ingest import ORU, _ingest, hl7_settings  # noqa: F401

PATIENT = {
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


def _files(tmp_path: Path) -> tuple[Path, Path]:
    fhir = tmp_path / "patient.json"
    fhir.write_text(json.dumps(PATIENT))
    hl7 = tmp_path / "oru.hl7"
    hl7.write_text(ORU)
    return fhir, hl7


@pytest.mark.parametrize("order", ["fhir-first", "hl7-first", "folder"])
def test_same_run_hl7_and_fhir_patient_are_one_patient(
    hl7_settings: Settings,  # noqa: F811
    tmp_path: Path,
    order: str,
) -> None:
    fhir, hl7 = _files(tmp_path)
    paths = {"fhir-first": [fhir, hl7], "hl7-first": [hl7, fhir], "folder": [tmp_path]}[order]
    report, patients = _ingest(hl7_settings, *paths)
    assert report.rejected == []
    assert len(patients) == 1  # the lab result joined the FHIR patient of the same run
    pipeline = open_pipeline(hl7_settings)
    try:
        (token,) = pipeline.vault.patient_tokens()
        stored = pipeline.vault.patient_resources(token)
    finally:
        pipeline.close()
    assert sorted(r["resourceType"] for r in stored) == [
        "DiagnosticReport",
        "Observation",
        "Patient",
    ]
    (patient,) = [r for r in stored if r["resourceType"] == "Patient"]
    assert patient["id"] == "fhir-pt-1"
    # replay of the same run writes nothing
    again, patients_again = _ingest(hl7_settings, *paths)
    assert again.resources_stored == 0
    assert len(patients_again) == 1


def test_same_run_without_the_authority_mapping_stays_two_patients(
    settings: Settings,
    hl7_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    unmapped = hl7_settings.model_copy(update={"hl7v2": settings.hl7v2})
    fhir, hl7 = _files(tmp_path)
    _, patients = _ingest(unmapped, hl7, fhir)
    assert len(patients) == 2


def test_a_stored_patient_read_again_in_the_run_still_matches_once(
    hl7_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    fhir, hl7 = _files(tmp_path)
    _ingest(hl7_settings, fhir)
    report, patients = _ingest(hl7_settings, hl7, fhir)  # stored and in the run: one match
    assert report.rejected == []
    assert len(patients) == 1
