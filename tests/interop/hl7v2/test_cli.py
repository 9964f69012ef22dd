"""``clinvault convert`` and ``clinvault ingest`` with HL7 v2 files (CLI, exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from tests.interop.hl7v2.conftest import PID, msh

ADT = "\r".join([msh("ADT^A01"), PID, "PV1|1|I|W1^101||||||||||||||||V100"]) + "\r"


def test_convert_prints_one_bundle_per_message_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CLINVAULT_HOME", str(home))
    feed = tmp_path / "two.hl7"
    feed.write_text(ADT + ADT.replace("CTRL1", "CTRL2").replace("12345^", "777^"))
    result = CliRunner().invoke(app, ["convert", str(feed), "--json"])
    assert result.exit_code == 0, result.output
    bundles = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [b["type"] for b in bundles] == ["transaction", "transaction"]
    assert not home.exists() or not any(home.rglob("*"))


def test_convert_exit_status_for_an_unmapped_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINVAULT_HOME", str(tmp_path / "home"))
    feed = tmp_path / "bar.hl7"
    feed.write_text(ADT + ADT.replace("ADT^A01", "BAR^P01").replace("CTRL1", "CTRL2"))
    result = CliRunner().invoke(app, ["convert", str(feed)])
    assert result.exit_code == 1  # one converted, one rejected
    assert "BAR^P01 is not mapped" in result.stderr
    assert "DOE" not in result.stderr


def test_ingest_takes_an_hl7_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINVAULT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLINVAULT_INDEX__EMBEDDER__BACKEND", "hashing")
    monkeypatch.setenv("CLINVAULT_INGEST__DETECT_PHI", "false")
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "adt.hl7").write_text(ADT)
    result = CliRunner().invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 0, result.output
    assert "rejected" not in result.stderr
