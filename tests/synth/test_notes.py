"""Notes read like notes: they name people, dates and places the way clinicians write them,
and they carry the hard cases for PHI detection."""

from __future__ import annotations

import re
from collections import Counter

from clinvault.synth import SyntheticPatient
from clinvault.synth.names import WORD_FIRST_NAMES
from tests.synth.helpers import notes, of_type

NOTE_TYPES = {"34117-2", "11506-3", "34748-4", "34111-5"}
EPONYMS = {"Parkinson", "Crohn", "Hodgkin", "Cushing", "Addison"}


def all_text(patient: SyntheticPatient) -> str:
    return "\n".join(notes(patient).values())


def test_documents_are_current_plain_text_clinical_notes(cohort: list[SyntheticPatient]) -> None:
    kinds: Counter[str] = Counter()
    for patient in cohort:
        documents = of_type(patient, "DocumentReference")
        assert len(documents) >= 2
        for document in documents:
            assert document["status"] == "current"
            assert document["content"][0]["attachment"]["contentType"] == "text/plain"
            kinds[document["type"]["coding"][0]["code"]] += 1
        assert all(text.strip() for text in notes(patient).values())
    assert set(kinds) == NOTE_TYPES


def test_notes_mention_the_patient_people_and_places(cohort: list[SyntheticPatient]) -> None:
    for patient in cohort:
        text = all_text(patient)
        (resource,) = of_type(patient, "Patient")
        name = resource["name"][0]
        assert name["text"] in text
        assert name["given"][0] in text
        assert resource["identifier"][0]["value"] in text
        assert resource["telecom"][0]["value"] in text
        assert resource["address"][0]["line"][0] in text
        assert resource["contact"][0]["name"]["given"][0] in text
        assert of_type(patient, "Organization")[0]["name"] in text
        assert re.search(r"Dr\. [A-Z]", text)
        if "prefix" in name:
            assert f"{name['prefix'][0]} {name['family']}" in text


def test_notes_use_several_date_formats(cohort: list[SyntheticPatient]) -> None:
    text = "\n".join(all_text(p) for p in cohort)
    assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", text)
    assert re.search(
        r"\b(January|February|March|April|May|June|July|August|September|"
        r"October|November|December) \d{1,2}, \d{4}\b",
        text,
    )
    assert re.search(r"\b(Mon|Tues|Wed|Thurs|Fri|Sat|Sun) \d{1,2}/\d{1,2}\b", text)
    assert re.search(r"\b\d+ days ago\b", text)


def test_phi_type_coverage(cohort: list[SyntheticPatient]) -> None:
    types = {e["type"] for p in cohort for e in p.truth["phi"]}
    assert types >= {
        "NAME",
        "NAME_PART",
        "MRN",
        "SSN",
        "PHONE",
        "EMAIL",
        "ADDRESS",
        "CITY",
        "POSTAL_CODE",
        "BIRTH_DATE",
        "DATE",
        "AGE",
        "RELATIVE_NAME",
        "PROVIDER_NAME",
        "FACILITY",
        "OTHER_PERSON",
        "URL",
    }


def test_hard_cases_people_outside_the_record_and_word_names(
    cohort: list[SyntheticPatient],
) -> None:
    with_outsiders = [
        p
        for p in cohort
        if any(e["type"] == "OTHER_PERSON" and not e["known_to_record"] for e in p.truth["phi"])
    ]
    assert len(with_outsiders) >= 0.8 * len(cohort)
    word_names = set(WORD_FIRST_NAMES["male"]) | set(WORD_FIRST_NAMES["female"])
    named = [
        e["value"]
        for p in cohort
        for e in p.truth["phi"]
        if e["type"] in ("NAME", "RELATIVE_NAME", "OTHER_PERSON")
        and e["value"].split(" ")[0] in word_names
        and any(w.startswith("DocumentReference/") for w in e["where"])
    ]
    assert len(named) >= 10
    shorthand = [
        e
        for p in cohort
        for e in p.truth["phi"]
        if e["type"] == "DATE" and not e["known_to_record"]
    ]
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}", e["value"]) for e in shorthand)


def test_eponyms_are_marked_and_never_phi(cohort: list[SyntheticPatient]) -> None:
    seen: set[str] = set()
    for patient in cohort:
        texts = notes(patient)
        phi_spans = {
            (s["where"], s["start"], s["end"]) for e in patient.truth["phi"] for s in e["spans"]
        }
        for entry in patient.truth["non_phi"]:
            assert entry["kind"] == "EPONYM"
            seen.add(entry["value"])
            for span in entry["spans"]:
                text = texts[span["where"].removeprefix("DocumentReference/")]
                assert text[span["start"] : span["end"]] == entry["value"]
                assert (span["where"], span["start"], span["end"]) not in phi_spans
    assert len(seen & EPONYMS) >= 4


def test_ages_over_89_in_notes_are_phi(cohort: list[SyntheticPatient]) -> None:
    ages = [e for p in cohort for e in p.truth["phi"] if e["type"] == "AGE"]
    assert ages
    assert all(int(e["value"]) > 89 for e in ages)
