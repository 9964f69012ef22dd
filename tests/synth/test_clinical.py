"""Clinically coherent data: conditions bring their drugs and their monitoring."""

from __future__ import annotations

from collections import Counter

import pytest

from clinvault.synth import SyntheticPatient
from tests.synth.conftest import SEEDS
from tests.synth.helpers import Json, of_type

UNITS = {
    "4548-4": "%",
    "2339-0": "mg/dL",
    "2160-0": "mg/dL",
    "2823-3": "mmol/L",
    "2951-2": "mmol/L",
    "18262-6": "mg/dL",
    "718-7": "g/dL",
    "8867-4": "/min",
    "29463-7": "kg",
    "39156-5": "kg/m2",
    "8310-5": "Cel",
}
DIABETES, HYPERTENSION = "44054006", "59621000"
METFORMIN, LISINOPRIL, AMLODIPINE = "860975", "314076", "197361"


def active_codes(patient: SyntheticPatient) -> set[str]:
    return {c["code"] for c in patient.truth["facts"]["active_conditions"]}


def active_drugs(patient: SyntheticPatient) -> set[str]:
    return {m["code"] for m in patient.truth["facts"]["current_medications"]}


def codes_of(observations: list[Json]) -> Counter[str]:
    return Counter(o["code"]["coding"][0]["code"] for o in observations)


@pytest.mark.parametrize("seed", SEEDS)
def test_diabetics_take_metformin_and_have_10_to_20_hba1c(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    diabetics = [p for p in cohorts[seed] if DIABETES in active_codes(p)]
    assert diabetics
    for patient in diabetics:
        assert METFORMIN in active_drugs(patient)
        count = patient.truth["facts"]["latest_labs"]["4548-4"]["count"]
        assert 10 <= count <= 20
        values = [
            o["valueQuantity"]["value"]
            for o in of_type(patient, "Observation")
            if o["code"]["coding"][0]["code"] == "4548-4"
        ]
        assert all(5.0 <= v <= 13.0 for v in values)
        assert max(values) >= 6.5


def test_hypertension_brings_an_antihypertensive_and_blood_pressures(
    cohorts: dict[int, list[SyntheticPatient]],
) -> None:
    hypertensive = [p for c in cohorts.values() for p in c if HYPERTENSION in active_codes(p)]
    assert hypertensive
    for patient in hypertensive:
        assert active_drugs(patient) & {LISINOPRIL, AMLODIPINE}
        assert codes_of(of_type(patient, "Observation"))["85354-9"] >= 3


def test_observation_codes_units_and_categories(cohort: list[SyntheticPatient]) -> None:
    seen: set[str] = set()
    for patient in cohort:
        for obs in of_type(patient, "Observation"):
            code = obs["code"]["coding"][0]
            assert code["system"] == "http://loinc.org"
            seen.add(code["code"])
            if code["code"] == "85354-9":
                parts = {c["code"]["coding"][0]["code"] for c in obs["component"]}
                assert parts == {"8480-6", "8462-4"}
                continue
            quantity = obs["valueQuantity"]
            assert quantity["system"] == "http://unitsofmeasure.org"
            assert quantity["code"] == UNITS[code["code"]]
    assert seen == set(UNITS) | {"85354-9"}


def test_infants_have_no_bmi_or_blood_pressure(cohort: list[SyntheticPatient]) -> None:
    infants = [p for p in cohort if p.truth["demographics"]["age"] < 1]
    assert infants
    for patient in infants:
        codes = codes_of(of_type(patient, "Observation"))
        assert codes["29463-7"] >= 2
        assert codes["39156-5"] == 0
        assert codes["85354-9"] == 0
        weights = [
            o["valueQuantity"]["value"]
            for o in of_type(patient, "Observation")
            if o["code"]["coding"][0]["code"] == "29463-7"
        ]
        assert all(2 <= w <= 13 for w in weights)


def test_labs_repeat_over_years(cohort: list[SyntheticPatient]) -> None:
    spans = []
    for patient in cohort:
        dates = sorted(
            o["effectiveDateTime"][:10]
            for o in of_type(patient, "Observation")
            if o["code"]["coding"][0]["code"] == "2160-0"
        )
        if len(dates) >= 5:
            spans.append(int(dates[-1][:4]) - int(dates[0][:4]))
    assert spans
    assert max(spans) >= 5


def test_medication_statuses_and_codes(cohort: list[SyntheticPatient]) -> None:
    statuses: Counter[str] = Counter()
    for patient in cohort:
        for med in of_type(patient, "MedicationRequest"):
            statuses[med["status"]] += 1
            coding = med["medicationCodeableConcept"]["coding"][0]
            assert coding["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"
            assert med["dosageInstruction"][0]["text"]
            assert med["authoredOn"]
    assert statuses["active"]
    assert statuses["completed"]
    assert statuses["stopped"]


def test_conditions_allergies_vaccines_procedures_are_coded(cohort: list[SyntheticPatient]) -> None:
    clinical = Counter[str]()
    for patient in cohort:
        for condition in of_type(patient, "Condition"):
            assert condition["code"]["coding"][0]["system"] == "http://snomed.info/sct"
            status = condition["clinicalStatus"]["coding"][0]["code"]
            clinical[status] += 1
            assert ("abatementDateTime" in condition) == (status == "resolved")
            if status == "resolved":
                assert condition["onsetDateTime"] <= condition["abatementDateTime"]
        for allergy in of_type(patient, "AllergyIntolerance"):
            assert allergy["criticality"] in ("low", "high")
            assert allergy["reaction"][0]["manifestation"][0]["coding"][0]["code"]
        for shot in of_type(patient, "Immunization"):
            assert shot["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx"
            assert shot["occurrenceDateTime"][:10] >= patient.truth["demographics"]["birth_date"]
        for procedure in of_type(patient, "Procedure"):
            assert procedure["code"]["coding"][0]["system"] == "http://snomed.info/sct"
            assert procedure["performedDateTime"]
    assert clinical["active"]
    assert clinical["resolved"]
    assert sum(len(of_type(p, "AllergyIntolerance")) for p in cohort) >= 5
    assert all(of_type(p, "Immunization") for p in cohort)


def test_no_event_after_the_reference_date_or_before_birth(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        birth = patient.truth["demographics"]["birth_date"]
        for encounter in of_type(patient, "Encounter"):
            assert birth <= encounter["period"]["start"][:10] <= "2026-06-30"
