"""Bundles are FHIR R4 transactions whose every resource validates with fhir.resources R4B."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from clinvault.synth import SyntheticPatient
from tests.synth.conftest import SEEDS
from tests.synth.helpers import of_type, resources

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.mark.parametrize("seed", SEEDS)
def test_every_resource_validates_with_r4b(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    checked = 0
    for patient in cohorts[seed]:
        for resource in resources(patient):
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
            checked += 1
    assert checked > 1000


def test_a_whole_bundle_validates(cohort: list[SyntheticPatient]) -> None:
    bundle = get_fhir_model_class("Bundle").model_validate(cohort[0].bundle)
    assert bundle.type == "transaction"


def test_entries_are_transaction_entries_with_uuid_urls(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        assert patient.bundle["resourceType"] == "Bundle"
        assert patient.bundle["type"] == "transaction"
        assert patient.file_name == f"{patient.patient_id}.json"
        for entry in patient.bundle["entry"]:
            resource = entry["resource"]
            assert UUID.match(resource["id"]), resource["id"]
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
            assert entry["request"]["method"] in ("PUT", "POST")
            assert entry["request"]["url"].startswith(resource["resourceType"])


def _references(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_references(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_references(item))
    return found


def test_every_reference_resolves_inside_its_bundle(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        full_urls = {entry["fullUrl"] for entry in patient.bundle["entry"]}
        references = _references([e["resource"] for e in patient.bundle["entry"]])
        assert references
        assert all(ref.startswith("urn:uuid:") for ref in references)
        assert set(references) <= full_urls


def test_one_patient_per_bundle_with_practitioner_as_gp(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        (resource,) = of_type(patient, "Patient")
        assert resource["id"] == patient.patient_id
        gp = resource["generalPractitioner"][0]["reference"].removeprefix("urn:uuid:")
        assert gp in {p["id"] for p in of_type(patient, "Practitioner")}


def test_resource_types_present(cohort: list[SyntheticPatient]) -> None:
    types = {r["resourceType"] for p in cohort for r in resources(p)}
    assert types == {
        "Patient",
        "Practitioner",
        "Organization",
        "Encounter",
        "Condition",
        "Observation",
        "MedicationRequest",
        "AllergyIntolerance",
        "Immunization",
        "Procedure",
        "DocumentReference",
    }


def test_encounters_name_participant_and_service_provider(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        practitioners = {f"urn:uuid:{p['id']}" for p in of_type(patient, "Practitioner")}
        (organization,) = of_type(patient, "Organization")
        for encounter in of_type(patient, "Encounter"):
            assert encounter["participant"][0]["individual"]["reference"] in practitioners
            assert encounter["serviceProvider"]["reference"] == f"urn:uuid:{organization['id']}"


def test_bundle_text_is_the_json_of_the_bundle(cohort: list[SyntheticPatient]) -> None:
    assert json.loads(cohort[0].bundle_text()) == cohort[0].bundle
