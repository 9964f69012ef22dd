"""The retention purge schedule (``clinvault serve``): a failed purge is logged by class only,
audited with outcome ``error``, and the schedule goes on; ``stop`` ends the interval wait."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest

from clinvault.audit import AuditLog
from clinvault.audit.retention import SCHEDULER_PRINCIPAL, Purged, PurgeSchedule
from clinvault.clock import FixedClock
from clinvault.errors import VaultError

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class FlakyQuarantine:
    """Fails its first purge with a message that names data, then purges 3 rows."""

    def __init__(self) -> None:
        self.cutoffs: list[datetime] = []

    def purge_quarantine(self, before: datetime) -> int:
        self.cutoffs.append(before)
        if len(self.cutoffs) == 1:
            raise VaultError("database is locked while deleting Jane Doe's input")
        return 3


def test_a_failed_purge_is_audited_and_the_schedule_goes_on(
    audit_log: AuditLog, caplog: pytest.LogCaptureFixture
) -> None:
    vault = FlakyQuarantine()
    results: list[Purged | None] = []
    done = threading.Event()

    def seen(result: Purged | None) -> None:
        results.append(result)
        if len(results) == 2:
            done.set()

    schedule = PurgeSchedule(
        vault, audit_log, quarantine_days=10, interval_s=0.01, clock=FixedClock(NOW), on_purge=seen
    )
    with caplog.at_level(logging.INFO, logger="clinvault.audit.retention"):
        schedule.start()
        assert done.wait(timeout=60)
        schedule.stop()
    assert not schedule.running
    assert results[0] is None
    assert results[1] == Purged(quarantined=3, cutoff=datetime(2026, 4, 21, 12, 0, tzinfo=UTC))
    admin = [r for r in audit_log.iter_records() if r.kind == "admin"]
    assert [r.outcome for r in admin[:2]] == ["error", "allowed"]
    assert {(r.principal, r.reason, r.purpose) for r in admin} == {
        (SCHEDULER_PRINCIPAL, "retention-purge", "quarantine")
    }
    assert "VaultError" in caplog.text
    assert "Jane" not in caplog.text
    assert audit_log.verify().ok


def test_stop_ends_a_long_interval_at_once(audit_log: AuditLog) -> None:
    vault = FlakyQuarantine()
    vault.cutoffs.append(NOW)  # no failure this time
    ran = threading.Event()
    schedule = PurgeSchedule(
        vault,
        audit_log,
        quarantine_days=1,
        interval_s=3600,
        clock=FixedClock(NOW),
        on_purge=lambda _: ran.set(),
    )
    schedule.start()
    assert ran.wait(timeout=60)
    schedule.stop(timeout_s=60)
    assert not schedule.running, "the hour-long wait was cut short by stop"
    assert len(vault.cutoffs) == 2


def test_the_interval_must_be_positive(audit_log: AuditLog) -> None:
    with pytest.raises(ValueError, match="interval"):
        PurgeSchedule(
            FlakyQuarantine(), audit_log, quarantine_days=1, interval_s=0, clock=FixedClock(NOW)
        )
