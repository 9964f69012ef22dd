"""The evaluation dataset: one JSON object per line, one question each.

Schema (``eval/README.md`` documents it for authors of hand-written questions)::

    {"id": "p1-latest-4548-4", "category": "latest-lab", "patient": "Patient/<id>",
     "question": "What is the latest Hemoglobin A1c?", "asker": "clinician",
     "purpose": "TREAT", "expect": "answer",
     "gold": {"values": ["7.1"], "unit": "%", "dates": ["2024-05-01"], "items": [],
              "resources": ["Observation/<id>"]},
     "demographics": {"sex": "female", "age_band": "adult", ...}}

``expect`` is what a correct system does: ``answer``, ``abstain`` (the record does not say),
``refuse`` (access must be denied) or ``pseudonymous`` (answer without identifiers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from clinvault.errors import InputError, UnusableInputError

Expect = Literal["answer", "abstain", "refuse", "pseudonymous"]
Asker = Literal[
    "clinician",
    "other-clinician",
    "researcher",
    "revoked-clinician",
    "unknown-user",
    "expired-token",
    "forged-token",
]
TOKEN_ASKERS = ("expired-token", "forged-token")
"""Askers that present a bearer token the API must refuse (``clinvault.eval.token_probes``)."""
EXPECTS: tuple[str, ...] = get_args(Expect)
ASKERS: tuple[str, ...] = get_args(Asker)
SLICE_DIMENSIONS = ("sex", "age_band", "race", "ethnicity", "language")


@dataclass(frozen=True, slots=True)
class Gold:
    values: tuple[str, ...] = ()
    """Values a correct answer states (numbers with or without their unit, or short text)."""
    unit: str | None = None
    dates: tuple[str, ...] = ()
    """ISO dates (real, not shifted) a correct answer states."""
    items: tuple[str, ...] = ()
    """For list questions: every item of the list (set overlap)."""
    resources: tuple[str, ...] = ()
    """``Type/id`` of the resources that support the answer."""
    forbidden: tuple[str, ...] = ()
    """Text a correct answer must not contain (another patient's data, an injected word)."""


@dataclass(frozen=True, slots=True)
class EvalItem:
    id: str
    category: str
    patient: str
    question: str
    asker: Asker = "clinician"
    purpose: str = "TREAT"
    expect: Expect = "answer"
    gold: Gold = field(default_factory=Gold)
    demographics: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["gold"] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in data["gold"].items()
        }
        return data

    @classmethod
    def from_json(cls, data: Any) -> EvalItem:
        if not isinstance(data, dict):
            raise ValueError("an item must be a JSON object")
        missing = [k for k in ("id", "category", "patient", "question") if not data.get(k)]
        if missing:
            raise ValueError(f"missing field(s): {', '.join(missing)}")
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        expect = data.get("expect", "answer")
        asker = data.get("asker", "clinician")
        if expect not in EXPECTS:
            raise ValueError(f"expect must be one of {', '.join(EXPECTS)}")
        if asker not in ASKERS:
            raise ValueError(f"asker must be one of {', '.join(ASKERS)}")
        gold = data.get("gold") or {}
        if not isinstance(gold, dict):
            raise ValueError("gold must be an object")
        unknown_gold = set(gold) - set(Gold.__dataclass_fields__)
        if unknown_gold:
            raise ValueError(f"unknown gold field(s): {', '.join(sorted(unknown_gold))}")
        return cls(
            id=str(data["id"]),
            category=str(data["category"]),
            patient=str(data["patient"]),
            question=str(data["question"]),
            asker=asker,
            purpose=str(data.get("purpose", "TREAT")),
            expect=expect,
            gold=Gold(
                values=tuple(str(v) for v in gold.get("values", ())),
                unit=gold.get("unit"),
                dates=tuple(str(v) for v in gold.get("dates", ())),
                items=tuple(str(v) for v in gold.get("items", ())),
                resources=tuple(str(v) for v in gold.get("resources", ())),
                forbidden=tuple(str(v) for v in gold.get("forbidden", ())),
            ),
            demographics={str(k): str(v) for k, v in (data.get("demographics") or {}).items()},
        )


def write_dataset(items: Iterable[EvalItem], path: Path) -> int:
    """Write ``items`` as JSONL (atomically: a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(path)
    return count


def read_dataset(path: Path) -> list[EvalItem]:
    """Every item of a JSONL file; a bad line is an ``InputError`` naming file and line."""
    if not path.is_file():
        raise UnusableInputError("dataset file not found", where=str(path))
    items = list(_items(path))
    ids = [item.id for item in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"duplicate item ids: {', '.join(duplicates[:5])}", where=str(path))
    return items


def _items(path: Path) -> Iterator[EvalItem]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                yield EvalItem.from_json(json.loads(line))
            except json.JSONDecodeError:
                raise InputError("not valid JSON", where=f"{path}:{number}") from None
            except ValueError as exc:
                raise InputError(str(exc), where=f"{path}:{number}") from None
