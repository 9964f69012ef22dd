"""The offline model on questions as clinicians ask them: lay terms and shorthand, time windows
relative to a stated reference date, comparisons, trends and two-part questions."""

from __future__ import annotations

from clinvault.llm.clinical_synonyms import SYNONYMS, synonym_for
from clinvault.llm.evidence_model import NOTHING_RECORDED, answer, question_parts
from clinvault.llm.prompt import EvidenceItem
from clinvault.llm.time_window import find_window


def _items(*specs: tuple[str, str, str | None]) -> list[EvidenceItem]:
    return [EvidenceItem(n, rtype, date, text) for n, (rtype, text, date) in enumerate(specs, 1)]


RECORD = _items(
    (
        "Condition",
        "Condition: Myocardial infarction (disorder), clinical status active",
        "2015-02-01",
    ),
    ("MedicationRequest", "Hydrochlorothiazide 25 MG Oral Tablet, status active", "2019-01-01"),
    ("MedicationRequest", "Amoxicillin 500 MG Oral Capsule, status completed", "2020-06-01"),
    ("Immunization", "Immunization: Influenza, seasonal, injectable", "2021-10-02"),
    (
        "Observation",
        "Observation: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4) = 7.9 % on 2020-03-01",
        "2020-03-01",
    ),
    (
        "Observation",
        "Observation: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4) = 7.1 % on 2021-03-01",
        "2021-03-01",
    ),
    (
        "Observation",
        "Observation: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4) = 6.6 % on 2022-03-01",
        "2022-03-01",
    ),
    ("AllergyIntolerance", "Allergy to peanut, clinical status active", "2012-01-01"),
)


def test_every_synonym_entry_is_found_by_its_names() -> None:
    for entry in SYNONYMS:
        for phrase in entry.asked_as:
            assert synonym_for(phrase) is entry


def test_lay_terms_find_the_clinical_record() -> None:
    cases = {
        "Any history of heart attack?": "[1]",
        "hx of MI?": "[1]",
        "Is the patient on a water pill?": "[2]",
        "any abx?": "[3]",
        "when was the last flu jab?": "[4]",
        "latest sugar?": None,  # no glucose: nothing recorded, no A1c passed off as sugar
    }
    for question, cited in cases.items():
        text = answer(question, RECORD)
        if cited is None:
            assert "[" not in text, question
        else:
            assert cited in text, (question, text)
            assert not NOTHING_RECORDED.match(text), question


def test_a_time_window_is_relative_to_a_stated_reference_date() -> None:
    text = answer("A1c values in the last 18 months", RECORD)
    assert "reference date 2022-03-01: the newest record in the evidence" in text
    assert "[6]" in text
    assert "[7]" in text
    assert "[5]" not in text
    stated = answer("A1c values in the past year as of 2021-06-01", RECORD)
    assert "reference date 2021-06-01: the question" in stated
    assert "[6]" in stated
    assert "[5]" not in stated
    assert "[7]" not in stated


def test_windows_since_in_and_before() -> None:
    dates = ["2020-01-01", "2022-03-01"]
    window = find_window("labs since 2021", dates)
    assert window is not None
    assert (window.start, window.end) == ("2021-01-01", "2022-03-01")
    window = find_window("anything in 2020?", dates)
    assert window is not None
    assert (window.start, window.end) == ("2020-01-01", "2020-12-31")
    window = find_window("before 2021-05-01", dates)
    assert window is not None
    assert (window.start, window.end) == (None, "2021-05-01")
    visits = find_window("labs since the last visit", dates, visit_dates=["2021-07-01"])
    assert visits is not None
    assert visits.start == "2021-07-01"
    assert find_window("latest A1c", dates) is None


def test_nothing_in_the_window_is_an_absence_that_names_the_window() -> None:
    text = answer("Any A1c in the last 2 weeks as of 2023-01-01?", RECORD)
    assert NOTHING_RECORDED.match(text)
    assert "time window 2022-12-18 to 2023-01-01" in text
    assert "[" not in text


def test_a_comparison_states_the_direction_and_cites_both_values() -> None:
    text = answer("Is the A1c better than last year?", RECORD)
    lines = text.splitlines()
    assert lines[0].startswith("Comparison with the value nearest 2021-03-01")
    assert lines[0].endswith("the newest value is lower:")
    assert lines[1].endswith("= 6.6 % on 2022-03-01 [7]")
    assert lines[2].endswith("= 7.1 % on 2021-03-01 [6]")


def test_a_trend_has_first_last_lowest_highest_and_direction() -> None:
    text = answer("How has the A1c changed over time?", RECORD)
    assert text.splitlines()[-1] == (
        "Summary: overall falling; first [5], newest [7], lowest [7], highest [5]"
    )


def test_a_two_part_question_is_answered_part_by_part() -> None:
    assert question_parts("current meds and allergies?") == ["current meds", "allergies"]
    text = answer("current meds and allergies?", RECORD)
    first, second = text.split("Part two")
    assert first.startswith("Part one (meds):")
    assert "[2]" in first
    assert "[8]" not in first
    assert "[3]" not in first
    assert "[8]" in second
    assert "[2]" not in second


def test_one_subject_is_not_split() -> None:
    assert question_parts("What is the patient's name and where does the patient live?") == [
        "What is the patient's name and where does the patient live?"
    ]
    assert question_parts("Which medications were stopped or completed in the past?") == [
        "Which medications were stopped or completed in the past?"
    ]


def test_a_bare_result_question_asks_for_the_newest_value() -> None:
    text = answer("A1c?", RECORD)
    assert text.startswith("The newest matching record")
    assert text.endswith("[7]")
    assert "[5]" not in text


def test_advice_is_not_a_finding() -> None:
    note = (
        "DocumentReference note (Telephone note) on 2022-01-01, part 1/1: "
        "Advised to call 911 for chest pain or confusion."
    )
    text = answer(
        "Does the patient have chest pain?", _items(("DocumentReference", note, "2022-01-01"))
    )
    assert NOTHING_RECORDED.match(text)


def test_misspelled_record_kinds_are_read() -> None:
    assert "[8]" in answer("alergy list", RECORD)
    assert "[2]" in answer("current medicatons", RECORD)


def test_a_history_question_prefers_the_diagnosis() -> None:
    evidence = [
        *RECORD,
        EvidenceItem(
            9, "Encounter", "2016-01-01", "Encounter: follow-up; reason Myocardial infarction"
        ),
    ]
    text = answer("Any history of heart attack?", evidence)
    assert "[1]" in text
    assert "[9]" not in text
