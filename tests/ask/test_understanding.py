"""Question understanding: nearest labelled exemplars first, keyword rules as tie-breaker."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import pytest

from clinvault.ask.intents import detect_intent, keyword_intent
from clinvault.ask.understanding import (
    INTENTS,
    ExemplarIndex,
    expand_question,
    lexical_index,
    load_exemplars,
)

MEDS = ("MedicationRequest", "MedicationStatement")


def test_every_intent_has_at_least_ten_phrasings() -> None:
    counts = Counter(e.intent for e in load_exemplars())
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 10, counts


@pytest.mark.parametrize(
    ("question", "aggregation", "types"),
    [
        ("meds", "list", MEDS),
        ("medz", "list", MEDS),
        ("abx?", "list", MEDS),
        ("PMH", "list", ("Condition",)),
        ("NKDA?", "list", ("AllergyIntolerance",)),
        ("alergies?", "list", ("AllergyIntolerance",)),
        ("vacine history", "list", ("Immunization",)),
        ("dob", "list", ("Patient",)),
        ("hx of stroke", "exists", ()),
        ("any history of stroke?", "exists", ()),
        ("is the a1c better than last year", "compare", ()),
        ("labs in the last 6 months", "list", ("Observation",)),
        ("how many visits since 2020", "count", ("Encounter",)),
        ("sugar levels lately", "latest", ()),
    ],
)
def test_shorthand_and_misspellings_find_their_intent(
    question: str, aggregation: str, types: tuple[str, ...]
) -> None:
    intent = detect_intent(question)
    assert (intent.aggregation, intent.resource_types) == (aggregation, types)
    assert intent.decided_by == "exemplars"


def test_keyword_rules_differ_where_the_exemplars_decide() -> None:
    """The keyword rules alone read "any history of stroke?" as a trend and "vacine history"
    as a trend of nothing: what the exemplars fix."""
    assert keyword_intent("vacine history").resource_types == ()
    assert keyword_intent("any history of stroke?").aggregation == "exists"
    assert keyword_intent("is the a1c better than last year").aggregation == "compare"


def test_unclear_questions_fall_back_to_the_keyword_rules() -> None:
    for question in ("What is the patient's shoe size?", "flu jab?"):
        intent = detect_intent(question)
        assert intent.decided_by == "keywords", question
        rules = keyword_intent(question)
        assert (intent.kind, intent.resource_types) == (rules.kind, rules.resource_types)


def test_a_two_part_question_keeps_both_record_kinds() -> None:
    intent = detect_intent("current meds and allergies?")
    assert set(intent.resource_types) == {"AllergyIntolerance", *MEDS}


def test_a_vault_token_is_not_a_word() -> None:
    intent = detect_intent("What is the latest Systolic Blood Pressure of [NAME-7F3A2C91]?")
    assert intent.kind == "latest"
    assert intent.resource_types == ()


def test_an_embedder_can_replace_the_character_ngrams() -> None:
    vocabulary = sorted({w for e in load_exemplars() for w in _words(e.question)})

    def embed(texts: Sequence[str]) -> list[list[float]]:
        return [[float(w in _words(t)) + 1e-6 for w in vocabulary] for t in texts]

    index = ExemplarIndex(load_exemplars(), embed)
    intent = detect_intent("current meds", index=index)
    assert intent.resource_types == MEDS
    assert intent.decided_by == "exemplars"
    assert index.vote("problem list").intent == "conditions"


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.casefold()))


def test_lay_terms_are_expanded_for_search() -> None:
    assert expand_question("any heart attack?") == "any heart attack? (myocardial infarction)"
    assert expand_question("on a water pill?").endswith("(diuretic)")
    assert expand_question("latest HbA1c?") == "latest HbA1c?"


def test_the_lexical_index_is_built_once() -> None:
    assert lexical_index() is lexical_index()


def test_a_time_window_reads_the_whole_series() -> None:
    intent = detect_intent("HbA1c values in the last 12 months as of 2023-05-01?")
    assert intent.kind == "trend"
    assert detect_intent("What is the latest HbA1c?").kind == "latest"
