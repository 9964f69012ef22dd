"""How the offline evidence model compares words: stems, synonym groups, hyphen parts."""

from __future__ import annotations

import pytest

from clinvault.llm.evidence_terms import SYNONYMS, key, keys, stem, words


@pytest.mark.parametrize(
    ("forms", "expected"),
    [
        (("walk", "walks", "walked", "walking"), "walk"),
        (("stop", "stops", "stopped", "stopping"), "stop"),
        (("feed", "feeds", "feeding"), "feed"),
        (("change", "changes", "changed", "changing"), "chang"),
        (("allergy", "allergies"), "allergy"),
    ],
)
def test_word_forms_share_one_stem(forms: tuple[str, ...], expected: str) -> None:
    assert {stem(form) for form in forms} == {expected}


def test_short_words_keep_their_endings() -> None:
    # too little would be left: "bed" is not "b", "need" is not "ne", "using" is not "us"
    assert [stem(word) for word in ("bed", "need", "using", "bring", "string", "gas")] == [
        "bed",
        "need",
        "using",
        "bring",
        "string",
        "gas",
    ]
    assert stem("called") == "call"
    assert stem("liver") != stem("live")


@pytest.mark.parametrize(
    ("question_word", "note_word"),
    [
        ("pet", "cats"),
        ("pet", "beagle"),
        ("animal", "dog"),
        ("smoking", "tobacco"),
        ("smoke", "pack-years"),
        ("alcohol", "wine"),
        ("occupation", "works"),
        ("job", "retired"),
        ("live", "lives"),
        ("live", "living"),
        ("day", "daily"),
        ("far", "miles"),
        ("fed", "feeding"),
        ("travel", "trip"),
        ("aid", "cane"),
        ("activity", "soccer"),
    ],
)
def test_synonyms_share_one_key(question_word: str, note_word: str) -> None:
    assert key(question_word) == key(note_word)


def test_words_outside_a_group_do_not_join_it() -> None:
    assert key("walker") != key("walk")
    assert key("drink") != key("alcohol")
    assert key("fish") != key("pet")


def test_every_synonym_maps_to_its_own_group() -> None:
    for group, members in SYNONYMS:
        assert {key(word) for word in members.split()} == {group}, group


def test_hyphenated_words_match_their_parts_and_adjacent_words_their_pair() -> None:
    assert words("After-school soccer") == ["after-school", "soccer"]
    assert {"after-school", "after", "school", "activity"} <= keys("does soccer after-school")
    assert {"after-school", "school"} <= keys("does soccer after school")
    assert "soccer-after" not in keys("does soccer, after")
