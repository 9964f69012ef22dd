"""End to end on a synthetic cohort: "What is the latest HbA1c?" when a progress note written
minutes after the newest HbA1c result restates it (with every other lab, the plan, names).

The answer is the newest HbA1c Observation (value, unit, date), cited alone; the note is
neither cited nor quoted. The cohort is ``clinvault synth --patients 3 --seed 42``, where the
defect was seen; only the patient with such a note is ingested (hashing embedder, tmpfs,
the note PHI detector on: without it the guard rightly blocks the phone numbers in notes).
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clinvault.ask import AskService
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort
from tests.ask.conftest import SHM

CLINICIAN = "dr-latest"
HBA1C = "4548-4"
QUESTION = "What is the latest HbA1c?"


@dataclass(frozen=True)
class Case:
    service: AskService
    patient: str
    """``Patient/<id>``."""
    gold: dict[str, Any]
    """``truth.jsonl``'s newest HbA1c of the patient."""
    note_refs: set[str]
    """DocumentReferences written the day of that result that mention HbA1c."""


def _note_text(resource: dict[str, Any]) -> str:
    return " ".join(
        base64.b64decode(c["attachment"]["data"]).decode()
        for c in resource.get("content", [])
        if "data" in c.get("attachment", {})
    )


def _same_day_notes(bundle: dict[str, Any], day: str) -> set[str]:
    resources = [e["resource"] for e in bundle["entry"]]
    return {
        f"DocumentReference/{r['id']}"
        for r in resources
        if r["resourceType"] == "DocumentReference"
        and str(r.get("date", "")).startswith(day)
        and "hba1c" in _note_text(r).casefold()
    }


def _pick(folder: Path) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The first patient whose newest HbA1c day also has a note mentioning HbA1c."""
    for line in (folder / "truth.jsonl").read_text().splitlines():
        truth = json.loads(line)
        gold = truth["facts"]["latest_labs"].get(HBA1C)
        if gold is None:
            continue
        notes = _same_day_notes(json.loads((folder / truth["file"]).read_text()), gold["date"])
        if notes:
            return truth, gold, notes
    raise AssertionError("the seed-42 cohort no longer has an HbA1c restated in a same-day note")


@pytest.fixture(scope="module")
def case(clean_env: None) -> Iterator[Case]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-latest-", dir=SHM if SHM.is_dir() else None))
    try:
        folder = root / "cohort"
        write_cohort(SynthConfig(patients=3, seed=42), folder, force=True)
        truth, gold, notes = _pick(folder)
        chosen = root / "in"
        chosen.mkdir()
        shutil.copy(folder / truth["file"], chosen / truth["file"])
        index = {"embedder": {"backend": "hashing"}, "path": str(root / "home" / "index")}
        settings = Settings.load(home=root / "home", index=index)
        patient = f"Patient/{truth['patient_id']}"
        with Runtime.open(settings) as runtime:
            assert not runtime.ingest_pipeline().run([chosen]).rejected
            runtime.access_store.add_user(CLINICIAN, "clinician")
            runtime.access_store.grant(CLINICIAN, patient)
            yield Case(runtime.ask_service(), patient, gold, notes)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_latest_hba1c_is_the_newest_result_not_the_note_written_after_it(case: Case) -> None:
    result = case.service.ask(CLINICIAN, case.patient, QUESTION)

    assert result.outcome == "answered", result.answer
    assert result.grounded, result.uncited_statements
    assert [c.reference for c in result.citations] == [case.gold["resource_id"]]
    value = f"{case.gold['value']:g}"
    assert f"= {value} %" in result.answer
    assert case.gold["datetime"] in result.answer
    # nothing of the note: not cited, not quoted (its other labs, plan and people)
    assert not {c.reference for c in result.citations} & case.note_refs
    for note_words in ("PROGRESS NOTE", "Labs today", "A/P", "Glucose", "Provider"):
        assert note_words not in result.answer
    assert len(result.answer.splitlines()) == 2


def test_hba1c_trend_lists_results_and_no_note_passage(case: Case) -> None:
    result = case.service.ask(CLINICIAN, case.patient, "Show the HbA1c trend over time")

    assert result.outcome == "answered", result.answer
    cited = [c.reference for c in result.citations]
    assert case.gold["resource_id"] in cited
    assert all(ref.startswith("Observation/") for ref in cited), cited
    assert len(cited) == case.gold["count"]
