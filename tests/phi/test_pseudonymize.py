from __future__ import annotations

import pytest

from clinvault.phi.base import PhiType, Span
from clinvault.phi.pseudonymize import RedactingTokenizer, pseudonymize


class MemoryTokenizer:
    """Deterministic tokens, consistent per (kind, value); dates shifted when ISO-like."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def tokenize(self, kind: str, value: str) -> str:
        token = f"[{kind}-{len(self.values):08X}]"
        for existing, original in self.values.items():
            if original == value and existing.startswith(f"[{kind}-"):
                return existing
        self.values[token] = value
        return token

    def shift_date(self, text: str) -> str | None:
        return "2001-01-11" if text == "2001-01-01" else None


TEXT = "Ann saw Ann on 2001-01-01 and 7/22; she is 93."


def spans(*items: tuple[str, PhiType, int]) -> list[Span]:
    out = []
    for value, phi_type, nth in items:
        start = -1
        for _ in range(nth + 1):
            start = TEXT.index(value, start + 1)
        out.append(Span(start, start + len(value), phi_type, 0.9, value))
    return out


def test_tokens_are_consistent_dates_shift_and_ages_cap() -> None:
    found = spans(
        ("Ann", PhiType.NAME, 0),
        ("Ann", PhiType.NAME, 1),
        ("2001-01-01", PhiType.DATE, 0),
        ("7/22", PhiType.DATE, 0),
        ("93", PhiType.AGE, 0),
    )
    tokenizer = MemoryTokenizer()
    result = pseudonymize(TEXT, found, tokenizer)
    first, second, date, shorthand, age = result.replacements
    assert first.token == second.token
    assert date.token == "2001-01-11"
    assert shorthand.token.startswith("[DATE-")  # unparseable date: tokenized, not left
    assert age.token == "90+"
    assert result.text == (
        f"{first.token} saw {second.token} on 2001-01-11 and {shorthand.token}; she is 90+."
    )
    for replacement in result.replacements:
        assert TEXT[replacement.start : replacement.end] in {
            *tokenizer.values.values(),
            "2001-01-01",
            "93",
        }


def test_redaction_without_a_patient() -> None:
    result = pseudonymize(TEXT, spans(("Ann", PhiType.NAME, 0)), RedactingTokenizer())
    assert result.text.startswith("[NAME] saw Ann")


def test_spans_that_do_not_match_the_text_are_refused() -> None:
    with pytest.raises(ValueError, match="match the text"):
        pseudonymize(TEXT, [Span(0, 3, PhiType.NAME, 0.9, "Bob")], RedactingTokenizer())
