"""``clinvault maintenance purge``: quarantined inputs past retention go, newer ones stay,
and the purge is audited; ``serve`` runs the same purge on a schedule that stops cleanly."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.audit.retention import SCHEDULER_PRINCIPAL, Purged, PurgeSchedule
from clinvault.cli.main import app
from clinvault.cli.maintenance import scheduled_purge
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


def test_serve_schedule_purges_what_expired_by_its_clock_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)
    settings = Settings.load(
        home=tmp_path / "home", retention={"quarantine_days": 30, "purge_every_s": 0.05}
    )
    now = datetime.now(UTC)
    for age, where in ((45, "old.json"), (5, "new.json")):
        clock = FixedClock(now - timedelta(days=age), timedelta(seconds=1))
        with Runtime.open(settings, clock=clock) as runtime:
            runtime.vault.quarantine(where, "Observation", "invalid", {"id": where})
    purges: list[Purged | None] = []
    twice = threading.Event()

    def seen(result: Purged | None) -> None:
        purges.append(result)
        if len(purges) >= 2:
            twice.set()

    with Runtime.open(settings) as runtime:
        # the schedule's clock says 20 days from now: old.json (45 days) is past 30 days,
        # new.json (5 days) is not, whatever the wall clock
        schedule = scheduled_purge(
            settings, runtime, clock=FixedClock(now + timedelta(days=20)), on_purge=seen
        )
        assert isinstance(schedule, PurgeSchedule)
        assert twice.wait(timeout=60), "the schedule ran at start and once more"
        schedule.stop()
        assert not schedule.running
        after_stop = len(purges)
        assert [row["where"] for row in runtime.vault.quarantined()] == ["new.json"]
        records = [r for r in runtime.audit_log.iter_records() if r.kind == "admin"]
    assert purges[0] is not None
    assert purges[0].quarantined == 1
    assert all(p is not None and p.quarantined == 0 for p in purges[1:])
    assert len(purges) == after_stop, "no purge after stop"
    assert len(records) == len(purges)
    assert {(r.principal, r.role, r.reason, r.outcome) for r in records} == {
        (SCHEDULER_PRINCIPAL, "system", "retention-purge", "allowed")
    }
    assert (
        CliRunner()
        .invoke(app, ["audit", "verify"], env={"CLINVAULT_HOME": str(settings.home)})
        .exit_code
        == 0
    )


def test_serve_schedules_nothing_when_off_or_when_the_vault_is_a_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)
    off = Settings.load(home=tmp_path / "home", retention={"purge_every_s": 0})
    with Runtime.open(off) as runtime:
        said = scheduled_purge(off, runtime)
    assert said == "scheduled retention purge off (retention.purge_every_s = 0)"
    remote = off.model_copy(
        update={
            "retention": off.retention.model_copy(update={"purge_every_s": 60.0}),
            "vault": off.vault.model_copy(update={"url": "https://vault.internal:8443"}),
        }
    )
    with Runtime.open(off) as runtime:
        said = scheduled_purge(remote, runtime)
    assert isinstance(said, str)
    assert "vault service" in said
    assert "clinvault maintenance purge" in said
