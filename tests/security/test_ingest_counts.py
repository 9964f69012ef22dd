"""Issue 19 item 6 (summary): the ingest summary counts an input as quarantined only when it
was sealed in the vault's quarantine; unreadable input and leak-gate refusals are counted
under their own rows, each once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.ingest.report import IngestReport, Outcome, Problem
from clinvault.settings import Settings
from clinvault.vault import Vault

runner = CliRunner()
PATIENT = {"resourceType": "Patient", "id": "p9", "gender": "male"}
INVALID = {
    "resourceType": "Observation",
    "id": "o2",
    "status": "final",
    "code": {"text": "x"},
    "subject": {"reference": "Patient/p9"},
    "valueQuantity": {"value": "not a number"},
}


def _ingest(settings: Settings, folder: Path) -> str:
    env = {"CLINVAULT_HOME": str(settings.home), "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing"}
    result = runner.invoke(app, ["ingest", str(folder)], env=env)
    assert result.exit_code == 1, result.output
    return result.output


def _row(output: str, label: str) -> int:
    match = re.search(re.escape(label) + r"\s*│\s*(\d+)", output)
    assert match, (label, output)
    return int(match.group(1))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "in"
    path.mkdir()
    (path / "a_patient.json").write_text(json.dumps(PATIENT))
    return path


def test_unreadable_input_is_not_counted_as_quarantined(settings: Settings, folder: Path) -> None:
    (folder / "b_malformed.json").write_text('{"resourceType": "Patient", ')
    output = _ingest(settings, folder)
    vault = Vault.open(settings)
    try:
        assert vault.quarantined() == []
    finally:
        vault.close()
    assert _row(output, "rejected (quarantined)") == 0
    assert _row(output, "rejected (unreadable, nothing kept)") == 1


def test_a_quarantined_resource_is_counted_once(settings: Settings, folder: Path) -> None:
    (folder / "b_invalid.json").write_text(json.dumps(INVALID))
    (folder / "c_malformed.json").write_text("")
    output = _ingest(settings, folder)
    vault = Vault.open(settings)
    try:
        assert len(vault.quarantined()) == 1
    finally:
        vault.close()
    assert _row(output, "rejected (quarantined)") == 1
    assert _row(output, "rejected (unreadable, nothing kept)") == 1


def test_leak_gate_refusals_are_not_counted_as_quarantined() -> None:
    report = IngestReport(resources_seen=1, chunks_refused=1)
    report.rejected.append(
        Problem("Observation chunk x", "Observation", "refused", Outcome.CHUNK_REFUSED)
    )
    summary = dict(report.summary())
    assert summary["rejected (quarantined)"] == 0
    assert summary["rejected (unreadable, nothing kept)"] == 0
    assert summary["chunks refused by the leak gate"] == 1
    assert report.exit_status == 1
