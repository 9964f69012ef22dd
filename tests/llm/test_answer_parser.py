"""The answer parser on hand-written GPT-, Llama- and Mistral-style answers
(``fixtures/real_model_answers.json``), and through the ask service's citation check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clinvault.llm.answer_parser import parse_answer

FIXTURE = Path(__file__).parent / "fixtures" / "real_model_answers.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


def test_the_fixture_covers_three_model_styles() -> None:
    assert {case["style"] for case in CASES} == {"gpt", "llama", "mistral"}
    assert len({case["id"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_real_model_styles_are_read_as_item_citations(case: dict[str, Any]) -> None:
    parsed = parse_answer(case["raw"], case["evidence"])
    assert parsed.text == case["text"]
    assert list(parsed.cited) == case["cited"]
    assert list(parsed.dropped) == case["dropped"]
    assert parsed.marked == bool(case["dropped"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_ask_citation_check_reads_them_too(case: dict[str, Any]) -> None:
    from clinvault.ask.citations import check_citations
    from clinvault.model import Chunk

    chunks = [
        Chunk(
            chunk_id=f"c{n}",
            patient="PT-1",
            resource=f"RES-{n}",
            resource_type="Observation",
            kind="resource",
            text=f"item {n}",
        )
        for n in range(1, case["evidence"] + 1)
    ]
    check = check_citations(case["raw"], chunks)
    assert [c.n for c in check.cited] == case["cited"]
    assert check.invalid_numbers == case["dropped"]
    assert check.grounded is False if case["dropped"] else True
