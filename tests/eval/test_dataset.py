"""The dataset JSONL schema: round trip, and bad lines named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinvault.errors import InputError
from clinvault.eval.dataset import EvalItem, Gold, read_dataset, write_dataset
from clinvault.settings import project_file


def test_round_trip(tmp_path: Path) -> None:
    item = EvalItem(
        "a",
        "latest-lab",
        "Patient/p",
        "What is the latest HbA1c?",
        gold=Gold(values=("7.1",), unit="%", resources=("Observation/o",)),
        demographics={"sex": "female"},
    )
    path = tmp_path / "d.jsonl"
    assert write_dataset([item], path) == 1
    assert read_dataset(path) == [item]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "category": "c", "patient": "Patient/p"}', r"missing field\(s\): question"),
        (
            '{"id": "a", "category": "c", "patient": "P", "question": "q", "expect": "maybe"}',
            "expect must be",
        ),
        (
            '{"id": "a", "category": "c", "patient": "P", "question": "q", "colour": 1}',
            "unknown field",
        ),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"id": "ok", "category": "c", "patient": "P", "question": "q"}\n' + line + "\n"
    )
    with pytest.raises(InputError, match=message) as caught:
        read_dataset(path)
    assert f"{path}:2" in str(caught.value)


def test_hand_written_questions_parse() -> None:
    items = read_dataset(project_file("eval", "hand_written.jsonl"))
    assert items
    assert {i.expect for i in items} <= {"answer", "abstain", "refuse", "pseudonymous"}
