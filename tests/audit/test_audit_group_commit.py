"""Group commit: concurrent appends share a transaction, each returns only once committed,
a crash between commit and sending the answer leaves the record, the chain stays intact."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from clinvault.audit import AuditLog
from clinvault.audit.group_commit import GroupCommit
from clinvault.audit.record import AuditRecord
from clinvault.db import make_engine

from .audit_factories import AUDIT_KEY, ask_event, make_log

WRITERS = 12
CRASHED = "RSP-" + "C0FFEE00" * 4
WAIT_S = 30.0


class CommitGate:
    """Holds the first commit of an engine until ``release`` (a deterministic pile-up)."""

    def __init__(self, engine: Engine) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self._engine = engine
        event.listen(engine, "commit", self._on_commit)

    def _on_commit(self, _connection: Any) -> None:
        if not self.entered.is_set():
            self.entered.set()
            assert self.released.wait(WAIT_S), "the test never released the held commit"

    def release(self) -> None:
        self.released.set()

    def remove(self) -> None:
        event.remove(self._engine, "commit", self._on_commit)


def _wait_for(condition: Callable[[], bool]) -> None:
    """Block until ``condition`` holds (a synchronisation point, not a timing assertion)."""
    done = threading.Event()
    for _ in range(int(WAIT_S * 100)):
        if condition():
            return
        done.wait(0.01)
    pytest.fail("condition never reached")


def _other_engine(engine: Engine) -> Engine:
    """A second engine on the same database: it sees only committed rows."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def test_concurrent_appends_share_one_transaction_and_return_committed(
    sql_engine: Engine,
) -> None:
    log = make_log(sql_engine)
    reader = AuditLog(_other_engine(sql_engine), AUDIT_KEY)
    gate = CommitGate(sql_engine)
    seen_by_reader: dict[int, bool] = {}

    def append(n: int) -> AuditRecord:
        record = log.append(ask_event(n))
        # returned: the record must already be committed (visible to another connection)
        seen_by_reader[n] = reader.get(record.response_id) is not None
        return record

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            first = pool.submit(append, 0)
            assert gate.entered.wait(WAIT_S)  # the first append's transaction is committing
            rest = [pool.submit(append, n) for n in range(1, WRITERS)]
            _wait_for(lambda: log.queued_appends == WRITERS - 1)
            assert not first.done()  # held at its commit: append has not returned
            gate.release()
            records = [first.result(WAIT_S), *(f.result(WAIT_S) for f in rest)]
    finally:
        gate.remove()
        reader.close()

    assert log.group_commits == 2  # the first alone, then the eleven that queued behind it
    assert sorted(r.seq for r in records) == list(range(1, WRITERS + 1))
    assert all(seen_by_reader[n] for n in range(WRITERS))
    result = log.verify()
    assert (result.ok, result.checked) == (True, WRITERS)
    chained = list(log.iter_records())
    assert [r.prev_hash for r in chained[1:]] == [r.hash for r in chained[:-1]]


def test_many_threads_keep_the_chain_intact(sql_engine: Engine) -> None:
    log = make_log(sql_engine)
    with ThreadPoolExecutor(16) as pool:
        records = list(pool.map(lambda n: log.append(ask_event(n)), range(120)))
    assert sorted(r.seq for r in records) == list(range(1, 121))
    assert log.group_commits <= 120
    result = log.verify()
    assert (result.ok, result.checked) == (True, 120)


def test_a_failing_record_fails_only_its_own_caller(sql_engine: Engine) -> None:
    """A duplicate response id breaks its batch's transaction; the batch is retried one by
    one, so the other appends of the batch still commit."""
    log = make_log(sql_engine)
    taken = log.append(ask_event(0)).response_id
    gate = CommitGate(sql_engine)
    try:
        with ThreadPoolExecutor(6) as pool:
            first = pool.submit(log.append, ask_event(1))
            assert gate.entered.wait(WAIT_S)
            good = [pool.submit(log.append, ask_event(n)) for n in range(2, 6)]
            bad = pool.submit(log.append, ask_event(6, response_id=taken))
            _wait_for(lambda: log.queued_appends == 5)
            gate.release()
            committed = [first.result(WAIT_S), *(f.result(WAIT_S) for f in good)]
            with pytest.raises(IntegrityError):
                bad.result(WAIT_S)
    finally:
        gate.remove()
    assert sorted(r.seq for r in committed) == [2, 3, 4, 5, 6]
    result = log.verify()
    assert (result.ok, result.checked) == (True, 6)


def _append_then_crash(url: str, response_id: str) -> None:
    """An answering process: audit the answer, then die before sending it."""
    engine = make_engine(url)
    log = AuditLog(engine, AUDIT_KEY)
    log.append(ask_event(1, response_id=response_id))
    os.kill(os.getpid(), signal.SIGKILL)  # the crash, between commit and send


def test_a_crash_between_commit_and_send_leaves_the_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'audit.db'}"
    engine = make_engine(url)
    log = make_log(engine)
    log.append(ask_event(0))
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_append_then_crash, args=(url, CRASHED))
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == -signal.SIGKILL

    survived = log.get(CRASHED)
    assert survived is not None
    assert survived.seq == 2
    result = log.verify()
    assert (result.ok, result.checked) == (True, 2)
    engine.dispose()


def test_group_commit_hands_each_caller_its_own_result() -> None:
    committed: list[list[int]] = []
    hold = threading.Event()
    entered = threading.Event()

    def commit(items: Sequence[int]) -> list[int]:
        if not committed and not entered.is_set():
            entered.set()
            assert hold.wait(WAIT_S)
        committed.append(list(items))
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(commit, max_batch=3)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.submit, 0)
        assert entered.wait(WAIT_S)
        rest = [pool.submit(group.submit, n) for n in range(1, 8)]
        _wait_for(lambda: group.queued == 7)
        hold.set()
        results = [first.result(WAIT_S), *(f.result(WAIT_S) for f in rest)]
    assert results == [n * 10 for n in range(8)]
    assert [len(batch) for batch in committed] == [1, 3, 3, 1]  # max_batch caps a group
    assert sorted(n for batch in committed for n in batch) == list(range(8))
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommit(commit, max_batch=0)
