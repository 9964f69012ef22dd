"""docs/prompting.md states the system prompt the code sends, verbatim."""

from __future__ import annotations

from pathlib import Path

from clinvault.llm.prompt import SYSTEM_PROMPT

DOC = Path(__file__).resolve().parents[2] / "docs" / "prompting.md"


def test_the_documented_system_prompt_is_the_one_sent() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"```text\n{SYSTEM_PROMPT}\n```" in text
    assert "fixtures/real_model_answers.json" in text
