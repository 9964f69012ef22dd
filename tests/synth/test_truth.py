"""truth.jsonl agrees with the bundles: PHI is where it says, facts are what the data says."""

from __future__ import annotations

import json

import pytest

from clinvault.synth import SyntheticPatient
from tests.synth.conftest import SEEDS
from tests.synth.helpers import by_id, notes, of_type

STRUCTURED_ONLY_TYPES = {"OTHER_PERSON", "DATE", "URL", "FACILITY", "ADDRESS", "PHONE"}


def location_text(patient: SyntheticPatient, where: str) -> str:
    if where.startswith("Patient."):
        (resource,) = of_type(patient, "Patient")
        return json.dumps(resource[where.removeprefix("Patient.")], ensure_ascii=False)
    if where.startswith("DocumentReference/"):
        return notes(patient)[where.removeprefix("DocumentReference/")]
    return json.dumps(by_id(patient)[where], ensure_ascii=False)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_phi_value_appears_where_truth_says(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    for patient in cohorts[seed]:
        texts = notes(patient)
        for entry in patient.truth["phi"]:
            assert entry["where"], entry
            for where in entry["where"]:
                assert entry["value"] in location_text(patient, where), (entry["type"], where)
            for span in entry["spans"]:
                text = texts[span["where"].removeprefix("DocumentReference/")]
                assert text[span["start"] : span["end"]] == entry["value"]


def test_values_unknown_to_the_record_are_only_in_notes(cohort: list[SyntheticPatient]) -> None:
    unknown_seen = 0
    for patient in cohort:
        structured = json.dumps(
            [r for r in by_id(patient).values() if r["resourceType"] != "DocumentReference"],
            ensure_ascii=False,
        )
        for entry in patient.truth["phi"]:
            if entry["known_to_record"]:
                continue
            unknown_seen += 1
            assert all(w.startswith("DocumentReference/") for w in entry["where"])
            if entry["type"] in STRUCTURED_ONLY_TYPES and (
                entry["type"] != "OTHER_PERSON" or " " in entry["value"]
            ):
                assert entry["value"] not in structured, entry
    assert unknown_seen >= 3 * len(cohort)


def test_patient_identifiers_are_known_to_the_record(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        types = {e["type"]: e for e in patient.truth["phi"] if e["known_to_record"]}
        for phi_type in (
            "NAME",
            "NAME_PART",
            "MRN",
            "SSN",
            "PHONE",
            "ADDRESS",
            "CITY",
            "POSTAL_CODE",
            "BIRTH_DATE",
            "RELATIVE_NAME",
            "PROVIDER_NAME",
            "FACILITY",
        ):
            assert phi_type in types, phi_type
        assert types["NAME"]["where"][0] == "Patient.name"
        assert any(w.startswith("DocumentReference/") for w in types["NAME"]["where"])


@pytest.mark.parametrize("seed", SEEDS)
def test_latest_labs_are_the_newest_results(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    for patient in cohorts[seed]:
        observations = of_type(patient, "Observation")
        latest = patient.truth["facts"]["latest_labs"]
        assert set(latest) == {o["code"]["coding"][0]["code"] for o in observations}
        for code, fact in latest.items():
            matching = [o for o in observations if o["code"]["coding"][0]["code"] == code]
            newest = max(matching, key=lambda o: o["effectiveDateTime"])
            assert fact["count"] == len(matching)
            assert fact["resource_id"] == f"Observation/{newest['id']}"
            assert fact["date"] == newest["effectiveDateTime"][:10]
            assert sum(o["effectiveDateTime"] == newest["effectiveDateTime"] for o in matching) == 1
            if "valueQuantity" in newest:
                assert fact["value"] == newest["valueQuantity"]["value"]
                assert fact["unit"] == newest["valueQuantity"]["unit"]
            else:
                parts = {
                    c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
                    for c in newest["component"]
                }
                assert fact["components"] == parts
                assert fact["value"] == f"{parts['8480-6']}/{parts['8462-4']}"


def test_list_facts_match_resource_status(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        facts, resources = patient.truth["facts"], by_id(patient)
        conditions = of_type(patient, "Condition")
        active = {
            f"Condition/{c['id']}"
            for c in conditions
            if c["clinicalStatus"]["coding"][0]["code"] == "active"
        }
        assert {c["resource_id"] for c in facts["active_conditions"]} == active
        meds = of_type(patient, "MedicationRequest")
        current = {f"MedicationRequest/{m['id']}" for m in meds if m["status"] == "active"}
        assert {m["resource_id"] for m in facts["current_medications"]} == current
        for med in facts["stopped_medications"]:
            assert resources[med["resource_id"]]["status"] in ("stopped", "completed")
        for allergy in facts["allergies"]:
            resource = resources[allergy["resource_id"]]
            assert resource["code"]["coding"][0]["display"] == allergy["substance"]
        for shot in facts["immunizations"]:
            resource = resources[shot["resource_id"]]
            assert resource["occurrenceDateTime"][:10] == shot["date"]
            assert resource["vaccineCode"]["coding"][0]["display"] == shot["display"]
        assert len(facts["allergies"]) == len(of_type(patient, "AllergyIntolerance"))
        assert len(facts["immunizations"]) == len(of_type(patient, "Immunization"))


def test_note_facts_are_stated_only_in_their_note(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        note_facts = patient.truth["facts"]["note_facts"]
        assert note_facts, patient.patient_id
        texts = notes(patient)
        structured = json.dumps(
            [r for r in by_id(patient).values() if r["resourceType"] != "DocumentReference"]
        )
        for fact in note_facts:
            text = texts[fact["resource_id"].removeprefix("DocumentReference/")]
            assert fact["sentence"] in text
            assert fact["answer"] in fact["sentence"]
            assert fact["sentence"] not in structured
            assert fact["question"].endswith("?")


def test_truth_line_names_its_bundle(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        record = json.loads(patient.truth_line())
        assert record["patient_id"] == patient.patient_id
        assert record["file"] == f"{patient.patient_id}.json"
        assert set(record["demographics"]) >= {
            "sex",
            "birth_date",
            "age",
            "race",
            "ethnicity",
            "language",
        }


def test_years_in_note_facts_precede_the_note(cohorts: dict[int, list[SyntheticPatient]]) -> None:
    checked = 0
    for patients in cohorts.values():
        for patient in patients:
            documents = by_id(patient)
            for fact in patient.truth["facts"]["note_facts"]:
                if fact["answer"].isdigit() and len(fact["answer"]) == 4:
                    note_year = int(documents[fact["resource_id"]]["date"][:4])
                    assert int(fact["answer"]) < note_year
                    checked += 1
    assert checked
