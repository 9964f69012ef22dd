"""Names told by shape: initialed names, contact-block name lines, digit-suffixed names.

A small hand-made lexicon stands in for the name lists: the rules, not the lists, are
under test here (the detector test covers the real lists).
"""

from __future__ import annotations

import pytest

from clinvault.phi.allow_list import AllowList
from clinvault.phi.base import DetectionContext, PhiType, Span
from clinvault.phi.name_lexicon import NameLexicon
from clinvault.phi.recognizers.name_shapes import (
    DigitSuffixedNameRecognizer,
    InitialedNameRecognizer,
    contact_block_names,
    name_like,
)
from clinvault.phi.spans import make_span

LEXICON = NameLexicon(
    first_names=frozenset({"sari", "leidy", "dustin", "marine", "ana", "grace", "fine"}),
    surnames=frozenset({"muris", "ruiz", "hill", "fletcher", "fine"}),
    english=frozenset(
        {"hepatitis", "vaccine", "vitamin", "deficiency", "factor", "pick", "type", "marine"}
        | {"home", "address", "partner", "grace", "hill", "fletcher", "ai", "data", "public"}
    ),
)
ALLOW = AllowList.from_lines(["Lipitor", "Metformin"])
EMPTY = DetectionContext()


def initialed(text: str) -> list[str]:
    spans = InitialedNameRecognizer(LEXICON).find(text, EMPTY)
    assert all(text[s.start : s.end] == s.text and s.type is PhiType.NAME for s in spans)
    return [s.text for s in spans]


def digit_suffixed(text: str) -> list[str]:
    spans = DigitSuffixedNameRecognizer(LEXICON, ALLOW).find(text, EMPTY)
    assert all(text[s.start : s.end] == s.text and s.type is PhiType.NAME for s in spans)
    return [s.text for s in spans]


def address(text: str, value: str) -> Span:
    start = text.index(value)
    span = make_span(text, start, start + len(value), PhiType.ADDR, 0.8, "test")
    assert span is not None
    return span


def test_name_like_means_listed_or_no_english_word() -> None:
    assert name_like(LEXICON, "Yefimov")
    assert name_like(LEXICON, "Grace")  # a word, but also a listed name
    assert not name_like(LEXICON, "Vaccine")
    assert not name_like(LEXICON, "picked")  # the word list holds lemmas: ``pick``
    assert not name_like(LEXICON, "Dr")
    assert not name_like(LEXICON, "the")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Have you been to a Ravil G Yefimov concert?", ["Ravil G Yefimov"]),
        ("Directed by Sari J. Paavolainen", ["Sari J. Paavolainen"]),
        ("leidy t muris\nlabor relations director", ["leidy t muris"]),
        ("Hepatitis B Vaccine given; vitamin d deficiency; Factor V Leiden", []),
        ("you picked a fine time to leave", []),
        ("codey m ross", []),  # lowercase needs a listed name
    ],
)
def test_initialed_names(text: str, expected: list[str]) -> None:
    assert initialed(text) == expected


def test_contact_block_name_lines_above_an_address() -> None:
    text = "> \n> Mijail C Adomo\n> Asc Partner\n> Mijail C Adomo\n> 935 69 Gordon Terrace\n"
    names = contact_block_names(text, [address(text, "935 69 Gordon Terrace")], LEXICON)
    assert sorted(s.start for s in names) == [text.index("Mijail"), text.rindex("Mijail")]
    assert {s.text for s in names} == {"Mijail C Adomo"}
    text = ">Fletcher Hill\n>Public Data\n>Fletcher Hill\n>3654 Brixtonlaan 380"
    names = contact_block_names(text, [address(text, "3654 Brixtonlaan 380")], LEXICON)
    assert sorted(s.start for s in names) == [1, text.rindex("Fletcher")]


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("Home Address\n12 Elm Street", "12 Elm Street"),  # English words: a heading
        ("Ravil Yefimov lives at 12 Elm Street", "12 Elm Street"),  # not opening its line
        ("Ravil Yefimov said that\nthe trip was long and tiring.\n12 Elm Street", "12 Elm Street"),
    ],
)
def test_no_contact_block_name_without_the_shape(text: str, street: str) -> None:
    assert contact_block_names(text, [address(text, street)], LEXICON) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Note names another patient, Dustin31, as a contact.", ["Dustin31"]),
        ("Marine542 Ai120 was seen today.", ["Marine542 Ai120"]),
        ("Dustin31's mother called", ["Dustin31"]),
    ],
)
def test_digit_suffixed_names(text: str, expected: list[str]) -> None:
    assert digit_suffixed(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Type2 DM, COVID19 negative, B12 low, Covid19 vaccine given",
        "Hgb12.5 today, HbA1c 7.1, mRNA1273 dose 2, Tdap12",
        "Lipitor20 daily, Metformin500 BID",  # drugs with strengths: the allow-list keeps them
        "Ai120 alone, dustin31 lowercase, DUSTIN31 upper",
        "Dustin3 single digit",
    ],
)
def test_codes_drugs_and_strengths_are_not_digit_suffixed_names(text: str) -> None:
    assert digit_suffixed(text) == []
