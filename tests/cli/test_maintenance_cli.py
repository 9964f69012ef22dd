"""``clinvault maintenance purge``: quarantined inputs past retention go, newer ones stay,
and the purge is audited."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.clock import FixedClock
from clinvault.runtime import Runtime
from clinvault.settings import Settings


def test_purge_keeps_what_is_within_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("CLINVAULT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLINVAULT_RETENTION__QUARANTINE_DAYS", "30")
    now = datetime.now(UTC)
    for age, where in ((45, "old.json"), (5, "new.json")):
        clock = FixedClock(now - timedelta(days=age), timedelta(seconds=1))
        with Runtime.open(Settings.load(), clock=clock) as runtime:
            runtime.vault.quarantine(where, "Observation", "invalid", {"id": where})

    result = CliRunner().invoke(app, ["maintenance", "purge"])

    assert result.exit_code == 0, result.output
    assert "purged 1 quarantined input(s) older than 30 days" in result.output
    with Runtime.open(Settings.load()) as runtime:
        assert [row["where"] for row in runtime.vault.quarantined()] == ["new.json"]
        (record,) = [r for r in runtime.audit_log.iter_records() if r.kind == "admin"]
        assert (record.reason, record.purpose) == ("retention-purge", "quarantine")
