"""Intent detection for issue 17's demo questions (no index needed)."""

from __future__ import annotations

from clinvault.ask.intents import detect_intent


def test_drug_allergies_ask_for_allergies_not_medications() -> None:
    intent = detect_intent("Does the patient have any drug allergies?")
    assert intent.resource_types == ("AllergyIntolerance",)


def test_medications_are_still_medications() -> None:
    intent = detect_intent("What drugs is the patient taking?")
    assert intent.resource_types == ("MedicationRequest", "MedicationStatement")


def test_flu_vaccine_lists_immunizations_like_influenza_immunization() -> None:
    lay = detect_intent("When did the patient last receive a flu vaccine?")
    clinical = detect_intent("When was the last influenza immunization?")
    assert lay == clinical
    assert lay.resource_types == ("Immunization",)


def test_name_and_address_read_the_patient_resource() -> None:
    intent = detect_intent("What is the patient's name and where does the patient live?")
    assert intent.kind == "list"
    assert intent.resource_types == ("Patient",)


def test_date_of_birth_reads_the_patient_resource() -> None:
    assert detect_intent("What is her date of birth?").resource_types == ("Patient",)


def test_who_the_patient_lives_with_is_not_a_demographics_question() -> None:
    assert "Patient" not in detect_intent("Who does the patient live with?").resource_types


def test_a_name_token_in_the_question_is_not_a_demographics_question() -> None:
    """The question reaches intent detection pseudonymized: ``[NAME-…]`` is not "name"."""
    intent = detect_intent("What is [NAME-7F3A2C91] [NAME-0A1B2C3D]'s latest HbA1c?")
    assert intent.kind == "latest"
    assert "Patient" not in intent.resource_types
