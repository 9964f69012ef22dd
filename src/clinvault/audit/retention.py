"""Retention: delete what is past its time and audit it, once (``clinvault maintenance
purge``) or on a schedule (``clinvault serve``).

What is kept, and for how long (``[retention]`` settings):

* quarantined inputs (rejected resources and messages, sealed in the vault):
  ``retention.quarantine_days``; purged rows are deleted and the SQLite file compacted;
* conversations: the API keeps them in process memory only (ids and tokens, no text),
  bounded by ``api.max_conversations``, gone when the server stops: nothing on disk to purge;
* re-identified answer text: never stored (the audit log keeps hashes of prompt and output,
  and the question sealed): nothing to purge.

Every purge appends one ``admin`` record, reason ``retention-purge``, purpose ``quarantine``,
``count`` 1; a scheduled purge that fails appends the same record with outcome ``error`` and
is tried again at the next interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from clinvault.audit.event import AuditEvent, Outcome
from clinvault.audit.log import AuditLog
from clinvault.clock import Clock

log = logging.getLogger(__name__)

SCHEDULER_PRINCIPAL = "clinvault-serve"
"""The principal of a scheduled purge's audit record (an operator's purge names the operator)."""


class Quarantine(Protocol):
    """The part of the vault a purge needs (:class:`clinvault.vault.Vault` has it)."""

    def purge_quarantine(self, before: datetime) -> int: ...


@dataclass(frozen=True)
class Purged:
    quarantined: int
    """Quarantined inputs deleted."""
    cutoff: datetime
    """Everything written before this was past retention."""


def purge_expired(
    vault: Quarantine,
    audit_log: AuditLog,
    *,
    quarantine_days: int,
    now: datetime,
    principal: str,
    role: str = "operator",
) -> Purged:
    """Delete the quarantined inputs older than ``quarantine_days`` before ``now``, then
    append the ``retention-purge`` record."""
    cutoff = now - timedelta(days=quarantine_days)
    removed = vault.purge_quarantine(cutoff)
    audit_log.append(_purge_event(principal, role, "allowed"))
    return Purged(quarantined=removed, cutoff=cutoff)


def _purge_event(principal: str, role: str, outcome: Outcome) -> AuditEvent:
    return AuditEvent(
        kind="admin",
        principal=principal,
        outcome=outcome,
        reason="retention-purge",
        role=role,
        purpose="quarantine",
        count=1,
    )


class PurgeSchedule:
    """Runs :func:`purge_expired` on a background thread: once at :meth:`start`, then every
    ``interval_s`` seconds, until :meth:`stop` (which waits for a purge under way to end).

    ``clock`` gives the time the retention cut-off is computed from (injectable for tests);
    the interval is waited on a stop event, so ``stop`` ends the wait at once. A purge that
    raises is logged (the exception class only, never its text, which could name data) and
    audited with outcome ``error``; the schedule goes on.
    """

    def __init__(
        self,
        vault: Quarantine,
        audit_log: AuditLog,
        *,
        quarantine_days: int,
        interval_s: float,
        clock: Clock,
        on_purge: Callable[[Purged | None], None] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the purge interval must be positive")
        self._vault = vault
        self._audit_log = audit_log
        self._days = quarantine_days
        self._interval_s = interval_s
        self._clock = clock
        self._on_purge = on_purge
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="clinvault-retention-purge", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop the schedule and wait for the thread (a purge under way finishes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("retention purge still running %.0f s after shutdown began", timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._purge_once()
            if self._stop.wait(self._interval_s):
                return

    def _purge_once(self) -> None:
        result: Purged | None = None
        try:
            result = purge_expired(
                self._vault,
                self._audit_log,
                quarantine_days=self._days,
                now=self._clock.now(),
                principal=SCHEDULER_PRINCIPAL,
                role="system",
            )
            log.info("scheduled retention purge: %d quarantined input(s)", result.quarantined)
        except Exception as exc:  # noqa: BLE001  (the schedule outlives a failed purge: logged, audited)
            log.error("scheduled retention purge failed: %s", type(exc).__name__)
            self._audit_failure(exc)
        if self._on_purge is not None:
            self._on_purge(result)

    def _audit_failure(self, exc: Exception) -> None:
        try:
            self._audit_log.append(_purge_event(SCHEDULER_PRINCIPAL, "system", "error"))
        except Exception as audit_exc:  # noqa: BLE001  (the log itself failing: said, schedule kept)
            log.error(
                "could not audit the failed retention purge (%s after %s)",
                type(audit_exc).__name__,
                type(exc).__name__,
            )
