"""Concurrent writers (threads, processes) on SQLite and PostgreSQL keep seq gapless."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from clinvault.audit import AuditLog
from clinvault.clock import system_random
from clinvault.db import make_engine

from .audit_factories import AUDIT_KEY, ask_event

WRITERS = 4
APPENDS_EACH = 15


def _append_many(log: AuditLog, writer: int) -> list[int]:
    return [log.append(ask_event(writer * 100 + n)).seq for n in range(APPENDS_EACH)]


def _process_writer(url: str, writer: int) -> None:
    engine = make_engine(url)
    try:
        _append_many(AuditLog(engine, AUDIT_KEY), writer)
    finally:
        engine.dispose()


def test_threads_appending_at_once_get_gapless_seqs(sql_engine: Engine) -> None:
    log = AuditLog(sql_engine, AUDIT_KEY, random=system_random())
    log.create_schema()
    with ThreadPoolExecutor(WRITERS) as pool:
        per_writer = list(pool.map(lambda w: _append_many(log, w), range(WRITERS)))

    seqs = sorted(seq for seqs in per_writer for seq in seqs)
    assert seqs == list(range(1, WRITERS * APPENDS_EACH + 1))
    assert all(chunk == sorted(chunk) for chunk in per_writer)
    result = log.verify()
    assert (result.ok, result.checked) == (True, WRITERS * APPENDS_EACH)


def test_processes_appending_at_once_get_gapless_seqs(sql_engine: Engine) -> None:
    log = AuditLog(sql_engine, AUDIT_KEY)
    log.create_schema()
    url = sql_engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_process_writer, args=(url, w)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]

    result = log.verify()
    assert (result.ok, result.checked) == (True, 3 * APPENDS_EACH)
