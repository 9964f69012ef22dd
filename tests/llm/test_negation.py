"""NegEx-style negation: the standard pre/post triggers, pseudo-triggers and terminators."""

from __future__ import annotations

import pytest

from clinvault.llm.negation import is_affirmed, is_negated, mask_negated, negated_scopes

DENIED = [
    ("Denies chest pain.", "chest pain"),
    ("Patient denied fever and chills.", "chills"),
    ("No history of stroke.", "stroke"),
    ("No hx of MI.", "mi"),
    ("Negative for myocardial infarction.", "myocardial infarction"),
    ("No evidence of pneumonia on chest x-ray.", "pneumonia"),
    ("Without shortness of breath.", "shortness of breath"),
    ("Absence of edema.", "edema"),
    ("Free of rash.", "rash"),
    ("Never had seizures.", "seizures"),
    ("Denies chest pain, shortness of breath or palpitations.", "palpitations"),
    ("Pneumonia was ruled out.", "pneumonia"),
    ("Troponin negative.", "troponin"),
    ("Pulses absent.", "pulses"),
    ("DVT unlikely.", "dvt"),
    ("No known drug allergies.", "allergies"),
    ("Not diabetic.", "diabetic"),
]
AFFIRMED = [
    ("Chest pain since this morning.", "chest pain"),
    ("No change in chest pain.", "chest pain"),  # pseudo-trigger
    ("Gram negative rods in sputum.", "rods"),  # pseudo-trigger
    ("No fever but reports chest pain.", "chest pain"),  # terminator
    ("Denies fever; cough for 3 days.", "cough"),  # clause break
    ("Denies fever. Has a cough.", "cough"),
    ("Patient has a history of stroke, no MI.", "stroke"),
    ("Not only dyspnea but chest pain.", "dyspnea"),
    ("HbA1c 7.2% today.", "hba1c"),
]


@pytest.mark.parametrize(("statement", "phrase"), DENIED)
def test_a_denied_finding_is_negated(statement: str, phrase: str) -> None:
    assert is_negated(statement, phrase)
    assert not is_affirmed(statement, phrase)
    assert phrase not in mask_negated(statement).casefold()


@pytest.mark.parametrize(("statement", "phrase"), AFFIRMED)
def test_an_affirmed_finding_is_not_negated(statement: str, phrase: str) -> None:
    assert is_affirmed(statement, phrase)
    assert not is_negated(statement, phrase)


def test_the_scope_ends_after_the_maximum_number_of_words() -> None:
    statement = "No " + " ".join(f"w{i}" for i in range(20)) + " stroke"
    assert not is_negated(statement, "stroke")
    assert is_negated(statement, "w3")


def test_a_phrase_not_mentioned_is_neither() -> None:
    assert not is_negated("Denies chest pain.", "stroke")
    assert not is_affirmed("Denies chest pain.", "stroke")


def test_mask_keeps_the_statement_length_and_the_trigger() -> None:
    statement = "No history of stroke, but MI in 2019."
    masked = mask_negated(statement)
    assert len(masked) == len(statement)
    assert masked.startswith("No history of ")
    assert "MI in 2019" in masked
    assert [s.trigger for s in negated_scopes(statement)] == ["no history of"]


def test_advice_is_masked_like_a_denial() -> None:
    assert is_negated("Advised to call 911 for chest pain or confusion.", "chest pain")
    assert is_negated("Return if fever develops.", "fever")
    assert is_affirmed("Chest pain at rest; call if it worsens.", "chest pain")
