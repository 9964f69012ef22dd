"""A cohort of 20 is diverse: ages, sexes, races, ethnicities, languages, names."""

from __future__ import annotations

from collections import Counter

import pytest

from clinvault.synth import SyntheticPatient
from tests.synth.conftest import SEEDS
from tests.synth.helpers import Json, of_type

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"


def patient_resource(patient: SyntheticPatient) -> Json:
    (resource,) = of_type(patient, "Patient")
    return resource


@pytest.mark.parametrize("seed", SEEDS)
def test_age_range_covers_infants_children_and_over_89(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    ages = [p.truth["demographics"]["age"] for p in cohorts[seed]]
    assert any(age < 1 for age in ages)
    assert any(2 <= age <= 12 for age in ages)
    assert any(age > 89 for age in ages)
    assert any(18 <= age <= 64 for age in ages)


@pytest.mark.parametrize("seed", SEEDS)
def test_sex_race_ethnicity_language_are_diverse(
    cohorts: dict[int, list[SyntheticPatient]], seed: int
) -> None:
    demographics = [p.truth["demographics"] for p in cohorts[seed]]
    assert {d["sex"] for d in demographics} == {"male", "female"}
    assert len({d["race"] for d in demographics}) >= 3
    assert len({d["language"] for d in demographics}) >= 3
    assert len({d["culture"] for d in demographics}) >= 5


def test_languages_across_cohorts(cohorts: dict[int, list[SyntheticPatient]]) -> None:
    languages = {p.truth["demographics"]["language"] for c in cohorts.values() for p in c}
    assert len(languages) >= 6
    ethnicities = {p.truth["demographics"]["ethnicity"] for c in cohorts.values() for p in c}
    assert {"Hispanic or Latino", "Not Hispanic or Latino"} <= ethnicities


def test_us_core_race_and_ethnicity_extensions(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        extensions = {e["url"]: e for e in patient_resource(patient)["extension"]}
        for name in ("us-core-race", "us-core-ethnicity"):
            inner = {e["url"] for e in extensions[f"{US_CORE}/{name}"]["extension"]}
            assert {"ombCategory", "text"} <= inner
        race_text = next(
            e["valueString"]
            for e in extensions[f"{US_CORE}/us-core-race"]["extension"]
            if e["url"] == "text"
        )
        assert race_text == patient.truth["demographics"]["race"]


def test_patient_identity_fields(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        resource = patient_resource(patient)
        identifiers = resource["identifier"]
        mrn = next(i for i in identifiers if i["type"]["coding"][0]["code"] == "MR")
        assert mrn["system"] == "urn:oid:2.16.840.1.113883.19.5"
        ssn = next(i for i in identifiers if i["system"] == "http://hl7.org/fhir/sid/us-ssn")
        assert ssn["value"].startswith("999-")
        names = resource["name"]
        assert names[0]["use"] == "official"
        address = resource["address"][0]
        assert {"line", "city", "state", "postalCode"} <= set(address)
        assert any(t["system"] == "phone" for t in resource["telecom"])
        contact = resource["contact"][0]
        assert contact["name"]["given"]
        assert contact["telecom"][0]["value"]
        assert contact["relationship"][1]["coding"][0]["code"]
        assert resource["communication"][0]["language"]["coding"][0]["code"]
        assert resource["birthDate"] == patient.truth["demographics"]["birth_date"]


def test_nicknames_maiden_names_and_emails_occur(
    cohorts: dict[int, list[SyntheticPatient]],
) -> None:
    uses: Counter[str] = Counter()
    for patients in cohorts.values():
        for patient in patients:
            for name in patient_resource(patient)["name"]:
                uses[name["use"]] += 1
    assert uses["nickname"] >= 2
    assert uses["maiden"] >= 2


def test_person_names_are_unique_in_a_cohort(cohorts: dict[int, list[SyntheticPatient]]) -> None:
    for patients in cohorts.values():
        people = [
            entry["value"]
            for patient in patients
            for entry in patient.truth["phi"]
            if entry["type"] in ("NAME", "OTHER_PERSON") and " " in entry["value"]
        ]
        patient_names = [p.truth["phi"][0]["value"] for p in patients]
        assert len(set(patient_names)) == len(patient_names)
        assert len(people) == len(set(people))


def test_a_bigger_cohort_rarely_repeats_surnames() -> None:
    from clinvault.synth import SynthConfig, generate_cohort

    patients = list(generate_cohort(SynthConfig(patients=120, seed=11)))
    families = [of_type(p, "Patient")[0]["name"][0]["family"] for p in patients]
    full = [of_type(p, "Patient")[0]["name"][0]["text"] for p in patients]
    assert len(set(full)) == len(full)
    assert len(set(families)) >= 0.75 * len(families)
