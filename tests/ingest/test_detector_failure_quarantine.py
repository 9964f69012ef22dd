"""Fail closed at ingest: a PHI detector member that raises gets its note quarantined (sealed),
never indexed unscrubbed, and the report names the note by its resource token only.

The ensemble backend runs with its ``rules`` member made to raise (monkeypatched, with PHI in
the exception's text); the control run without the fault indexes the same note.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from clinvault.ingest.report import IngestReport, Outcome
from clinvault.phi.base import DetectionContext, Span
from clinvault.phi.nursing_rules import NursingRulesDetector
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.ingest.conftest import home_files_contain

pytestmark = pytest.mark.slow

PATIENT = {
    "resourceType": "Patient",
    "id": "p-3003",
    "name": [{"family": "Okonkwo", "given": ["Adaeze"]}],
    "birthDate": "1958-07-21",
}
NOTE_TEXT = (
    "NPN 7p-7a. pt resting, lasix 40mg iv given. husband Emeka Okonkwo called from "
    "617-555-0143, updated. plan: cont diuresis, recheck lytes in am."
)
NOTE = {
    "resourceType": "DocumentReference",
    "id": "note-1",
    "status": "current",
    "subject": {"reference": "Patient/p-3003"},
    "type": {"text": "Nursing progress note"},
    "content": [
        {
            "attachment": {
                "contentType": "text/plain",
                "data": base64.b64encode(NOTE_TEXT.encode()).decode(),
            }
        }
    ],
}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "obs-1",
    "status": "final",
    "subject": {"reference": "Patient/p-3003"},
    "code": {"text": "Potassium"},
    "valueQuantity": {"value": 3.4, "unit": "mmol/L"},
}
PHI = ("Emeka", "Okonkwo", "Adaeze", "617-555-0143")
SECRET_IN_ERROR = "Emeka Okonkwo"


def _raise(
    self: NursingRulesDetector, texts: Sequence[str], *, context: DetectionContext | None = None
) -> list[list[Span]]:
    raise RuntimeError(f"rules crashed on {SECRET_IN_ERROR}")


@pytest.fixture
def ensemble_settings(fast_settings: Settings) -> Settings:
    return fast_settings.model_copy(
        update={"phi": fast_settings.phi.model_copy(update={"backend": "ensemble"})}
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "records"
    out.mkdir()
    for resource in (PATIENT, NOTE, OBSERVATION):
        (out / f"{resource['resourceType']}-{resource['id']}.json").write_text(json.dumps(resource))
    return out


def _ingest(
    settings: Settings, folder: Path
) -> tuple[IngestReport, list[dict[str, Any]], list[dict[str, Any]], str]:
    with Runtime.open(settings) as runtime:
        report = runtime.ingest_pipeline().run([folder])
        payloads = [c.payload() for c in runtime.index.scroll()]
        quarantined = runtime.vault.quarantined()
        note_token = runtime.vault.resource_token("DocumentReference/note-1")
    return report, payloads, quarantined, note_token


def test_a_failing_member_quarantines_the_note_and_indexes_none_of_it(
    ensemble_settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(NursingRulesDetector, "detect_batch", _raise)
    report, payloads, quarantined, note_token = _ingest(ensemble_settings, folder)

    indexed = json.dumps(payloads)
    assert note_token not in indexed  # no chunk of the note at all
    assert "lasix" not in indexed
    assert "diuresis" not in indexed
    for value in PHI:
        assert value not in indexed, value
    assert "Potassium" in indexed  # the patient's other resources still go in

    refused = [p for p in report.rejected if p.resource_type == "DocumentReference"]
    assert len(refused) == 1
    problem = refused[0]
    assert problem.outcome is Outcome.QUARANTINED
    assert problem.where == f"DocumentReference {note_token}"
    assert "'rules'" in problem.message
    assert "RuntimeError" in problem.message
    for text in (problem.where, problem.message, str(report.summary())):
        for value in (*PHI, SECRET_IN_ERROR, "note-1", "p-3003"):
            assert value not in text, value

    rows = [row for row in quarantined if row["resource_type"] == "DocumentReference"]
    assert [row["where"] for row in rows] == [problem.where]
    home = ensemble_settings.home
    assert home_files_contain(home, [NOTE_TEXT[:40], "Okonkwo", "diuresis"], skip=folder) == []


def test_re_ingest_after_the_fault_indexes_the_note(
    ensemble_settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refused note was not stored as ingested: once the detector works, it goes in,
    scrubbed (and the control shows the first test's absence is the fault's doing)."""
    with monkeypatch.context() as patch:
        patch.setattr(NursingRulesDetector, "detect_batch", _raise)
        _ingest(ensemble_settings, folder)
    report, payloads, _, note_token = _ingest(ensemble_settings, folder)
    indexed = json.dumps(payloads)
    assert not [p for p in report.rejected if p.resource_type == "DocumentReference"]
    assert note_token in indexed
    assert "diuresis" in indexed
    for value in ("Emeka", "Okonkwo", "617-555-0143"):
        assert value not in indexed, value
