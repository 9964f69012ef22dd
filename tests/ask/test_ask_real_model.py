"""The same questions with the real sentence-transformers embedder (slow: loads the model)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinvault.ask import AskService
from clinvault.runtime import Runtime
from tests.ask.ask_factories import FLU_DATE, LATEST_HBA1C, PATIENT_ID, hba1c_series
from tests.ask.conftest import CLINICIAN, SHM, build_cohort

PATIENT = f"Patient/{PATIENT_ID}"


@pytest.fixture(scope="module")
def real_service(clean_env: None) -> Iterator[AskService]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-ask-st-", dir=SHM if SHM.is_dir() else None))
    try:
        cohort = build_cohort(root, embedder_backend="sentence-transformers")
        with Runtime.open(cohort.settings()) as runtime:
            yield runtime.ask_service()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_real_embedder_answers_the_core_questions(real_service: AskService) -> None:
    latest = real_service.ask(CLINICIAN, PATIENT, "What was her most recent hemoglobin A1c?")
    assert f"{LATEST_HBA1C} %" in latest.answer
    assert hba1c_series()[-1][0] in latest.answer
    assert [c.reference for c in latest.citations] == ["Observation/a1c-19"]

    note = real_service.ask(CLINICIAN, PATIENT, "Was she bitten by a dog?")
    assert {c.reference for c in note.citations} == {"DocumentReference/note-1"}

    shots = real_service.ask(CLINICIAN, PATIENT, "Which immunizations has she had?")
    assert FLU_DATE in shots.answer

    meds = real_service.ask(CLINICIAN, PATIENT, "What are her current medications?")
    assert "metformin" in meds.answer
    assert "lisinopril" in meds.answer

    unknown = real_service.ask(CLINICIAN, PATIENT, "What is her blood type?")
    assert unknown.outcome == "not-answerable"
    assert not unknown.citations
