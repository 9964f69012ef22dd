"""The known-identifier matcher: which values are identifiers and where they match."""

from __future__ import annotations

import pytest

from clinvault.vault.identifiers import IdentifierMatcher, is_code_like

CODES = [
    "f201",
    "pat1",
    "a7",
    "infant-twin-1",
    "genetics-example1",
    "123456",
    "MRN7465676978",
    "9f3c2a1e-5b7d-4c1e-8a2f-0d6b4e3c2a10",
]


@pytest.mark.parametrize("value", CODES)
def test_codes_are_code_like(value: str) -> None:
    assert is_code_like(value)


@pytest.mark.parametrize("value", ["example", "newborn", "ihe-pcd", "150", "1234", "7.5", ""])
def test_words_and_short_numbers_are_not_code_like(value: str) -> None:
    assert not is_code_like(value)


def _found(matcher: IdentifierMatcher, text: str) -> list[str]:
    return [text[start:end] for start, end, _ in matcher.find(text)]


def test_a_short_code_matches_as_a_whole_word_or_separated_part_only() -> None:
    matcher = IdentifierMatcher()
    assert matcher.add("ID", "f201")
    text = (
        "Patient F201 seen; reason DiagnosticReport/f201 (f201.) "
        "but not f2010, xf201, f201x or f201_b."
    )
    assert _found(matcher, text) == ["F201", "f201", "f201"]


def test_a_two_character_code_matches_case_sensitively() -> None:
    matcher = IdentifierMatcher()
    assert matcher.add("ID", "a7")
    assert _found(matcher, "seen a7 today; A7 and ka7 kept") == ["a7"]


def test_short_plain_numbers_are_never_identifiers() -> None:
    matcher = IdentifierMatcher()
    assert not matcher.add("ID", "150")
    assert matcher.find("glucose 150 mg/dL") == []
