"""Issue 17's demo failures, on the offline evidence model: a note asserting no allergies,
"drug allergies" (not the medication list), "flu vaccine" (the CVX display says Influenza),
and the patient's name and address (the Patient record)."""

from __future__ import annotations

from clinvault.llm.evidence_model import NOT_ANSWERED, NOTHING_RECORDED, answer
from clinvault.llm.prompt import EvidenceItem

NOTE = (
    "DocumentReference note (History and physical note) on 2021-03-04, part 1/1: "
    "Chief complaint: cough. ALLERGIES: No known drug allergies. Plan: rest."
)
FLU = "Immunization: Influenza, seasonal, injectable, preservative free"


def _items(*specs: tuple[str, str, str | None]) -> list[EvidenceItem]:
    return [EvidenceItem(n, rtype, date, text) for n, (rtype, text, date) in enumerate(specs, 1)]


def test_a_note_stating_no_known_allergies_answers_the_allergy_question() -> None:
    evidence = _items(
        ("MedicationRequest", "Lisinopril 10 mg daily", "2019-01-01"),
        ("DocumentReference", NOTE, "2021-03-04"),
    )
    text = answer("What allergies does the patient have?", evidence)
    assert text.splitlines() == [
        "No record of allergies in the provided records (searched the evidence items of kinds: "
        "DocumentReference, MedicationRequest). Notes state its absence:",
        "- 2021-03-04: History and physical note: ALLERGIES: No known drug allergies. [2]",
    ]


def test_nkda_is_a_negative_statement_too() -> None:
    note = "DocumentReference note (Progress note) on 2020-01-01, part 1/1: NKDA. BP ok."
    text = answer("Any allergies?", _items(("DocumentReference", note, "2020-01-01")))
    assert text.endswith("Progress note: NKDA. [1]")


def test_allergy_records_win_over_a_negative_note() -> None:
    evidence = _items(
        ("AllergyIntolerance", "Allergy to penicillin", "2010-01-01"),
        ("DocumentReference", NOTE, "2021-03-04"),
    )
    text = answer("What allergies does the patient have?", evidence)
    assert text.endswith("Allergy to penicillin [1]")
    assert "[2]" not in text


def test_a_note_without_a_negative_statement_is_an_uncited_absence_answer() -> None:
    note = "DocumentReference note (Progress note) on 2020-01-01, part 1/1: Cough for 3 days."
    assert answer("Any allergies?", _items(("DocumentReference", note, "2020-01-01"))) == (
        "No record of allergies in the provided records "
        "(searched the evidence items of kinds: DocumentReference)."
    )
    assert answer("What allergies?", _items(("DocumentReference", note, "2020-01-01"))) == (
        NOT_ANSWERED
    )


def test_drug_allergies_are_not_the_medication_list() -> None:
    evidence = _items(
        ("MedicationRequest", "Lisinopril 10 mg daily", "2019-01-01"),
        ("AllergyIntolerance", "Allergy to penicillin", "2010-01-01"),
    )
    text = answer("Does the patient have any drug allergies?", evidence)
    assert "Allergy to penicillin [2]" in text
    assert "Lisinopril" not in text


def test_drug_allergies_with_only_a_negative_note() -> None:
    evidence = _items(
        ("MedicationRequest", "Lisinopril 10 mg daily", "2019-01-01"),
        ("DocumentReference", NOTE, "2021-03-04"),
    )
    text = answer("Does the patient have any drug allergies?", evidence)
    assert NOTHING_RECORDED.match(text)
    assert text.endswith("No known drug allergies. [2]")
    assert "Lisinopril" not in text


def test_flu_vaccine_is_the_influenza_immunization() -> None:
    evidence = _items(
        ("Immunization", "Immunization: Td (adult) preservative free", "2020-05-05"),
        ("Immunization", FLU, "2019-10-01"),
        ("Immunization", FLU, "2022-10-02"),
    )
    lay = answer("When did the patient last receive a flu vaccine?", evidence)
    clinical = answer("When was the last influenza immunization?", evidence)
    assert lay == clinical
    assert lay.endswith(f"- 2022-10-02: {FLU} [3]")


def test_name_and_address_question_reads_the_patient_record() -> None:
    evidence = _items(
        ("Observation", "Body weight 70 kg", "2020-01-01"),
        ("Patient", "Patient: female, born 1961-04-17", None),
    )
    text = answer("What is the patient's name and where does the patient live?", evidence)
    assert text.endswith("Patient: female, born 1961-04-17 [2]")
    assert "Body weight" not in text


def test_who_the_patient_lives_with_is_still_a_note_question() -> None:
    note = "DocumentReference note (Social history) on 2020-01-01, part 1/1: Lives with two cats."
    evidence = _items(
        ("Patient", "Patient: female, born 1961-04-17", None),
        ("DocumentReference", note, "2020-01-01"),
    )
    assert answer("Who does the patient live with?", evidence).endswith("two cats. [2]")


ROS_NOTE = (
    "DocumentReference note (Progress note) on 2022-06-01, part 1/1: "
    "Denies chest pain or palpitations. No history of stroke. Negative for MI. "
    "Reports a cough for 3 days."
)


def test_a_denied_finding_is_never_reported_as_present() -> None:
    evidence = _items(("DocumentReference", ROS_NOTE, "2022-06-01"))
    for question in (
        "Does the patient have chest pain?",
        "Any history of stroke?",
        "Has the patient had an MI?",
        "Any palpitations?",
    ):
        text = answer(question, evidence)
        assert NOTHING_RECORDED.match(text), question
        assert "searched the evidence items of kinds: DocumentReference" in text
        assert "Notes state its absence:" in text
        assert text.endswith("[1]"), question


def test_an_absence_answer_quotes_only_the_denying_statement() -> None:
    evidence = _items(("DocumentReference", ROS_NOTE, "2022-06-01"))
    assert answer("Any history of stroke?", evidence).splitlines() == [
        "No record of stroke in the provided records (searched the evidence items of kinds: "
        "DocumentReference). Notes state its absence:",
        "- 2022-06-01: Progress note: No history of stroke. [1]",
    ]


def test_an_affirmed_mention_still_answers() -> None:
    evidence = _items(("DocumentReference", ROS_NOTE, "2022-06-01"))
    text = answer("Does the patient have a cough?", evidence)
    assert "Reports a cough for 3 days. [1]" in text
    assert not NOTHING_RECORDED.match(text)


def test_a_record_of_the_finding_beats_a_denying_note() -> None:
    evidence = _items(
        ("DocumentReference", ROS_NOTE, "2022-06-01"),
        ("Condition", "Condition: Stroke, clinical status active", "2015-01-01"),
    )
    text = answer("Any history of stroke?", evidence)
    assert "Stroke, clinical status active [2]" in text
    assert "[1]" not in text


def test_an_existence_question_with_nothing_found_cites_nothing() -> None:
    evidence = _items(("Observation", "Glucose 98 mg/dL", "2022-01-15"))
    text = answer("Any history of stroke?", evidence)
    assert text == (
        "No record of stroke in the provided records (searched the evidence items of kinds: Observation)."
    )
