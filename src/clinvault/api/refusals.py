"""Refusals into the audit log, in aggregate: a flood must not flood the log.

The first refusal of a kind in a window is appended at once (so a single refusal is always
audited, with nothing delayed); identical refusals that follow in the same window are
counted, and when the window has passed they become ONE record whose ``count`` says how
many it stands for and whose ``related_response_id`` names the first. "Identical" means the
same kind, outcome, reason, principal, role, purpose, patient token and client address.

Counts still pending are written when a later refusal or request notices the window has
passed, and when the app shuts down (:meth:`RefusalLog.flush`); a crash loses at most one
window of repeat counts, never the first record of a kind. ``window_s = 0`` audits every
refusal as its own record.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from clinvault.audit import AuditEvent, AuditLog

MAX_PENDING = 10_000
"""Distinct kinds held at once; beyond it the pending counts are written early."""

_Key = tuple[str, str, str, str | None, str | None, str | None, str | None, str | None]


@dataclass
class _Pending:
    first: AuditEvent
    first_response_id: str | None
    repeats: int = 0


class RefusalLog:
    def __init__(
        self, audit: AuditLog, *, window_s: int = 60, now: Callable[[], float] = time.time
    ) -> None:
        self._audit = audit
        self._window_s = window_s
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[int, dict[_Key, _Pending]] = {}
        """Pending counts by window, then by kind (few windows: checks stay cheap)."""
        self._held = 0

    def refuse(self, event: AuditEvent) -> None:
        """Audit one refusal (``event.count`` must be 1)."""
        if self._window_s == 0:
            self._audit.append(event)
            return
        window = self._window()
        key = _key(event)
        with self._lock:
            kinds = self._windows.setdefault(window, {})
            pending = kinds.get(key)
            first = pending is None
            if pending is None:
                pending = kinds[key] = _Pending(event, None)
                self._held += 1
            else:
                pending.repeats += 1
            due = self._take(lambda w: w < window)
            if self._held > MAX_PENDING:
                # Many distinct kinds at once: write their counts now and start afresh.
                due += self._take(lambda _w: True)
        if first:
            pending.first_response_id = self._audit.append(event).response_id
        self._write(due)

    def due(self) -> bool:
        """Whether counts of a past window wait to be written (cheap; for every request)."""
        if self._window_s == 0:
            return False
        window = self._window()
        with self._lock:
            return any(w < window for w in self._windows)

    def flush_due(self) -> None:
        window = self._window()
        with self._lock:
            due = self._take(lambda w: w < window)
        self._write(due)

    def flush(self) -> None:
        """Write every pending count now (shutdown)."""
        with self._lock:
            due = self._take(lambda _w: True)
        self._write(due)

    def _window(self) -> int:
        return int(self._now() // self._window_s)

    def _take(self, which: Callable[[int], bool]) -> list[_Pending]:
        taken: list[_Pending] = []
        for window in [w for w in self._windows if which(w)]:
            taken.extend(self._windows.pop(window).values())
        self._held -= len(taken)
        return taken

    def _write(self, due: list[_Pending]) -> None:
        for pending in due:
            if pending.repeats > 0:
                self._audit.append(
                    replace(
                        pending.first,
                        count=pending.repeats,
                        response_id=None,
                        related_response_id=pending.first_response_id,
                    )
                )


def _key(event: AuditEvent) -> _Key:
    return (
        event.kind,
        event.outcome,
        event.reason,
        event.principal,
        event.role,
        event.purpose,
        event.patient,
        event.client,
    )
