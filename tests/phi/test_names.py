"""Name lists, the name-list recognizer, coordination and propagation."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.model_pins import verify_model
from clinvault.phi.name_lexicon import NameLexicon
from clinvault.phi.recognizers.name_lexicon import NameLexiconRecognizer
from clinvault.phi.recognizers.name_propagation import (
    coordinated_names,
    propagate_names,
    quoted_speakers,
)
from clinvault.phi.recognizers.person_cues import PersonCueRecognizer
from clinvault.phi.spans import name_core
from clinvault.settings import PhiSettings


@pytest.fixture(scope="module")
def nlp() -> Language:
    settings = PhiSettings()
    return spacy.load(verify_model(settings.spacy_model, settings.model_pins_file))


@pytest.fixture(scope="module")
def lexicon(nlp: Language) -> NameLexicon:
    return NameLexicon.load(nlp, census_surname_rank=50_000)


def names_in(nlp: Language, lexicon: NameLexicon, text: str) -> list[str]:
    spans = NameLexiconRecognizer(lexicon).find(text, nlp(text))
    assert all(text[s.start : s.end] == s.text and s.type is PhiType.NAME for s in spans)
    return [s.text for s in spans]


@pytest.mark.slow
def test_lexicon_knows_names_words_and_drops_function_words(lexicon: NameLexicon) -> None:
    assert lexicon.is_first_name("Derek")
    assert lexicon.is_first_name("Einar")
    assert lexicon.is_surname("Magnusson")
    assert lexicon.is_surname("Smith")
    assert lexicon.is_english("grace")
    assert not lexicon.is_english("derek")
    assert not lexicon.is_name("the")
    assert not lexicon.is_name("my")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Directed By:    Ella H. Snider", ["Ella H. Snider"]),
        ("Johanna van Dijk will be talking", ["Johanna van Dijk"]),
        ("follow up with patricia desrosiers in a couple of months.", ["patricia desrosiers"]),
        ("Mehrudin shouted at Todd today.", ["Todd"]),
        ("What's your last name? Magnusson", ["Magnusson"]),
    ],
)
def test_listed_names_are_found(
    nlp: Language, lexicon: NameLexicon, text: str, expected: list[str]
) -> None:
    assert set(expected) <= set(names_in(nlp, lexicon, text))


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "Prior Na 138 on 2025-06-14.",
        "frank blood in stool, will return in May.",
        "Carry Me Back To Canada was a song.",
        "Grace period ends. The Big Three Killed My Baby.",
    ],
)
def test_words_that_are_also_names_are_not(nlp: Language, lexicon: NameLexicon, text: str) -> None:
    assert names_in(nlp, lexicon, text) == []


def name(text: str, value: str) -> Span:
    start = text.index(value)
    return Span(start, start + len(value), PhiType.NAME, 0.8, value, "test")


def test_coordinated_members_of_a_name_list_become_names() -> None:
    text = "They had 3: Efimiya, Mary and Jodi."
    extra = coordinated_names(text, [name(text, "Mary")], lambda w: True, 0.8)
    assert sorted(s.text for s in extra) == ["Efimiya", "Jodi", "Mary"]
    assert coordinated_names(text, [], lambda w: True, 0.8) == []


def test_dialogue_speakers_become_names_when_one_is() -> None:
    text = "Ubul: What a wife.\nNicole: Remember me?"
    extra = coordinated_names(text, [name(text, "Nicole")], lambda w: w != "What", 0.8)
    assert {s.text for s in extra} == {"Ubul", "Nicole"}


def test_propagation_spreads_only_accepted_words() -> None:
    text = "The Princess Royal met Okafor. Okafor and the Princess left."
    names = [name(text, "Princess Royal"), name(text, "Okafor")]
    spread = propagate_names(text, names, lambda w: w == "Okafor", 0.8)
    assert {s.text for s in spread} == {"Okafor"}
    assert len(spread) == 2


def test_a_word_of_a_full_name_spreads_only_where_it_speaks() -> None:
    text = "Call from Will Hartley (neighbor). Will says she is tired. Will you call? He will."
    names = [name(text, "Will Hartley")]
    spread = propagate_names(text, names, lambda w: w == "Hartley", 0.8)
    starts = sorted(s.start for s in spread if s.text == "Will")
    assert starts == [text.index("Will says")]
    assert "Will Hartley" in {s.text for s in spread}


def test_name_core_strips_article_and_possessive() -> None:
    text = "The Avalara office and Bryan Maclean's song"
    core = name_core(text, name(text, "The Avalara"))
    assert core is not None
    assert core.text == "Avalara"
    core = name_core(text, name(text, "Bryan Maclean's"))
    assert core is not None
    assert core.text == "Bryan Maclean"


def test_introduced_lowercase_names_need_a_non_word() -> None:
    recognizer = PersonCueRecognizer(lambda w: w in {"back", "tired"})
    context = DetectionContext()
    assert [s.text for s in recognizer.find("sometimes people call me višeslav", context)] == [
        "višeslav"
    ]
    assert recognizer.find("she called back", context) == []
    assert PersonCueRecognizer().find("my name is vitoria", context) == []


def test_lowercase_members_of_a_name_list_need_the_lowercase_test() -> None:
    text = "they had 4: leonti, terrence, pamela and brian."
    listed = {"terrence", "pamela", "brian"}
    extra = coordinated_names(
        text, [name(text, "pamela")], lambda w: True, 0.8, listed.__contains__
    )
    assert sorted(s.text for s in extra) == ["brian", "pamela", "terrence"]
    assert coordinated_names(text, [name(text, "pamela")], lambda w: True, 0.8) == []


def test_speakers_of_quoted_dialogue() -> None:
    text = 'Koppány: "Who are you?"\nPatient: "tired"\nPlan: rest'
    speakers = quoted_speakers(text, lambda w: w != "Patient", 0.8)
    assert [s.text for s in speakers] == ["Koppány"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my great grandfather was called Djevad Šušulić, and", ["Djevad Šušulić"]),
        ("Dictated by: Ana Ruiz MD", ["Ana Ruiz MD"]),
        ("Reviewed by Dr. Okafor", ["Okafor"]),
        ("everyone calls me borna", ["borna"]),
        ("i'm roberto's daughter", ["roberto"]),
    ],
)
def test_person_cues_after_a_cue_without_a_name_and_authorship(
    text: str, expected: list[str]
) -> None:
    recognizer = PersonCueRecognizer(lambda w: w in {"everyone", "daughter"})
    assert [s.text for s in recognizer.find(text, DetectionContext())] == expected
