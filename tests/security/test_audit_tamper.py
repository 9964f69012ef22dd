"""The audit tamper matrix (issue 19 item 1, issue 16): what someone who can write the audit
database, but does not hold the master key, can no longer hide.

Every attack runs twice, on the same records:

* on a copy of the log converted to the *old* scheme (plain SHA-256 chain, no checkpoints):
  the attacker recomputes what they changed with plain ``hashlib`` and the old verifier
  (re-implemented here from the old ``audit/chain.py``) accepts the result, so each case is a
  real attack on the old code;
* on the keyed chain with signed checkpoints: :meth:`AuditLog.verify`, with no manual
  anchor, rejects it with the code named in the case.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from clinvault.audit import AuditLog
from clinvault.audit.checkpoints import (
    Checkpoint,
    CheckpointConfig,
    CheckpointFile,
    CheckpointSigner,
    HttpSink,
    signature_holds,
)
from clinvault.audit.record import GENESIS_HASH
from clinvault.audit.rows import row_to_record
from clinvault.clock import FixedClock, seeded_random
from clinvault.db import make_engine
from tests.audit.audit_factories import AUDIT_KEY, ask_event

USERS = ("dr.grey", "dr.house", "nurse.joy")
RECORDS = 10
BACKUP_AT = 6


# The attacker's tools: plain hashlib, as the old scheme allowed ---------------------------------


def plain_sha(prev_hash: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode("ascii") + body.encode("utf-8")).hexdigest()


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        result = connection.execute(text("SELECT * FROM audit_records ORDER BY seq"))
        return [dict(row._mapping) for row in result]


def recompute(engine: Engine, from_seq: int) -> None:
    """Renumber the records 1..n, re-link and re-hash them with plain SHA-256 from ``from_seq``
    on, and point the head at the new end (its ``updated_at`` left alone, as an UPDATE of
    count and hash leaves it)."""
    prev = GENESIS_HASH
    with engine.begin() as connection:
        for seq, row in enumerate(rows(engine), start=1):
            record = replace(row_to_record(row), seq=seq)
            if seq >= from_seq:
                record = replace(record, prev_hash=prev)
                record = replace(record, hash=plain_sha(prev, record.hashed_fields()))
                connection.execute(
                    text(
                        "UPDATE audit_records SET seq = :s, prev_hash = :p, hash = :h WHERE response_id = :r"
                    ),
                    {"s": seq, "p": record.prev_hash, "h": record.hash, "r": record.response_id},
                )
            prev = record.hash
        connection.execute(
            text("UPDATE audit_head SET count = :c, last_hash = :h"),
            {"c": len(rows(engine)), "h": prev},
        )


def reset_head(engine: Engine) -> None:
    recompute(engine, from_seq=RECORDS + 1)


def old_scheme_verifies(engine: Engine) -> bool:
    """The old ``verify_chain`` (seq, links, plain SHA-256, head), without an anchor."""
    prev, expected = GENESIS_HASH, 1
    for row in rows(engine):
        record = row_to_record(row)
        if record.seq != expected or record.prev_hash != prev:
            return False
        if plain_sha(prev, record.hashed_fields()) != record.hash:
            return False
        prev, expected = record.hash, expected + 1
    with engine.connect() as connection:
        head = connection.execute(text("SELECT count, last_hash FROM audit_head")).one()
    return (int(head[0]), str(head[1])) == (expected - 1, prev)


def first_seq(engine: Engine, where: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text(f"SELECT min(seq) FROM audit_records WHERE {where}")).one()[0]  # noqa: S608
        )


def sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


# The attacks -------------------------------------------------------------------------------------


def edit_field(engine: Engine) -> None:
    sql(engine, "UPDATE audit_records SET outcome = 'refused' WHERE seq = 4")


def edit_field_recompute(engine: Engine) -> None:
    edit_field(engine)
    recompute(engine, 4)


def delete_middle(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_records WHERE seq = 4")


def delete_middle_recompute(engine: Engine) -> None:
    delete_middle(engine)
    recompute(engine, 4)


def delete_tail(engine: Engine) -> None:
    sql(engine, f"DELETE FROM audit_records WHERE seq = {RECORDS}")  # noqa: S608


def delete_tail_reset_head(engine: Engine) -> None:
    delete_tail(engine)
    reset_head(engine)


def reorder(engine: Engine) -> None:
    sql(
        engine,
        "UPDATE audit_records SET seq = -1 WHERE seq = 3",
        "UPDATE audit_records SET seq = 3 WHERE seq = 4",
        "UPDATE audit_records SET seq = 4 WHERE seq = -1",
    )


def reorder_recompute(engine: Engine) -> None:
    reorder(engine)
    recompute(engine, 3)


def truncate_reset_head(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_records WHERE seq > 5")
    reset_head(engine)


def delete_user_recompute(engine: Engine) -> None:
    first = first_seq(engine, "principal = 'dr.house'")
    sql(engine, "DELETE FROM audit_records WHERE principal = 'dr.house'")
    recompute(engine, first)


def reattribute_recompute(engine: Engine) -> None:
    first = first_seq(engine, "principal = 'dr.house'")
    sql(engine, "UPDATE audit_records SET principal = 'dr.grey' WHERE principal = 'dr.house'")
    recompute(engine, first)


def wipe_reset_head(engine: Engine) -> None:
    sql(engine, "DELETE FROM audit_records")
    reset_head(engine)


def rewrite_recomputed_head(engine: Engine) -> None:
    """Hide that record 2 was about another patient: rewrite it and everything after it."""
    sql(engine, "UPDATE audit_records SET patient = 'PT-0000000000000000' WHERE seq = 2")
    recompute(engine, 2)


# The log under attack ----------------------------------------------------------------------------


@dataclass
class Home:
    db: Path
    backup: Path
    checkpoints: Path
    external: Path

    def url(self, db: Path | None = None) -> str:
        return f"sqlite:///{db or self.db}"

    def config(self) -> CheckpointConfig:
        return CheckpointConfig(
            CheckpointFile(self.checkpoints), 4, 3600.0, (CheckpointFile(self.external),)
        )

    def open(self, db: Path | None = None, seed: int = 3) -> AuditLog:
        clock = FixedClock(datetime(2024, 3, 1, 9, 30, tzinfo=UTC), timedelta(seconds=1))
        engine = make_engine(self.url(db))
        log = AuditLog(
            engine, AUDIT_KEY, clock=clock, random=seeded_random(seed), checkpoints=self.config()
        )
        log.create_schema()
        return log


def write_log(tmp_path: Path) -> Home:
    """Ten asks by three users, checkpointed every 4 records and at close; a backup of the
    database taken after record 6 (``VACUUM INTO``, as an operator's backup job would)."""
    home = Home(
        tmp_path / "audit" / "audit.db",
        tmp_path / "backup.db",
        tmp_path / "audit" / "checkpoints.jsonl",
        tmp_path / "other-mount" / "checkpoints.jsonl",
    )
    log = home.open()
    for n in range(RECORDS):
        log.append(ask_event(n, principal=USERS[n % len(USERS)]))
        if n + 1 == BACKUP_AT:
            sqlite_backup(home.db, home.backup)
    log.close()
    return home


def sqlite_backup(source: Path, target: Path) -> None:
    """An online backup, as an operator's backup job takes it (SQLite backup API)."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    live.close()
    copy.close()


def restore_backup(home: Home) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(home.db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(home.backup, home.db)


def old_scheme_copy(home: Home, tmp_path: Path) -> Engine:
    """The same records as the old code would have written them: a plain SHA-256 chain."""
    copy = tmp_path / "old" / "audit.db"
    copy.parent.mkdir()
    sqlite_backup(home.db, copy)
    engine = make_engine(home.url(copy))
    recompute(engine, 1)
    assert old_scheme_verifies(engine)
    return engine


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return write_log(tmp_path)


def verify_now(home: Home) -> tuple[bool, str | None]:
    log = home.open()
    try:
        result = log.verify()
    finally:
        log._engine.dispose()
    return result.ok, result.reason


def test_untouched_log_verifies_against_its_latest_checkpoint(home: Home) -> None:
    log = home.open()
    result = log.verify()
    latest = log.latest_checkpoint()
    log._engine.dispose()
    assert result.ok
    assert (result.checked, result.anchored_at) == (RECORDS, RECORDS)
    assert latest is not None
    assert latest.count == RECORDS
    lines = home.checkpoints.read_text().splitlines()
    assert [json.loads(line)["count"] for line in lines] == [4, 8, 10]
    assert home.external.read_text() == home.checkpoints.read_text()


# Issue 19: eight attacks, each recomputing with plain SHA-256 what it changed -------------------

ISSUE_19: list[tuple[str, Callable[[Engine], None], str]] = [
    ("edit-field", edit_field_recompute, "chain-rewritten"),
    ("delete-middle", delete_middle_recompute, "chain-rewritten"),
    ("delete-tail", delete_tail_reset_head, "head-reset"),
    ("reorder", reorder_recompute, "chain-rewritten"),
    ("truncate-reset-head", truncate_reset_head, "head-reset"),
    ("delete-user-recompute", delete_user_recompute, "chain-rewritten"),
    ("reattribute-recompute", reattribute_recompute, "chain-rewritten"),
    ("wipe-reset-head", wipe_reset_head, "wiped"),
]


@pytest.mark.parametrize(
    ("attack", "expected"), [pytest.param(a, e, id=name) for name, a, e in ISSUE_19]
)
def test_issue_19_attack_passed_the_old_chain_and_is_detected_now(
    home: Home, tmp_path: Path, attack: Callable[[Engine], None], expected: str
) -> None:
    old = old_scheme_copy(home, tmp_path)
    attack(old)
    assert old_scheme_verifies(old), "the attack must defeat the old plain-SHA chain"

    attack(make_engine(home.url()))
    assert verify_now(home) == (False, expected)


# Issue 16: six attacks, each with its own failure code ------------------------------------------

ISSUE_16: list[tuple[str, Callable[[Engine], None], str, bool]] = [
    ("alter", edit_field, "hash-mismatch", True),
    ("delete", delete_middle, "missing-record", True),
    ("reorder", reorder, "broken-link", True),
    ("truncate", delete_tail, "truncated", True),
    ("rewrite-recomputed-head", rewrite_recomputed_head, "chain-rewritten", False),
]
"""(name, attack, code now, whether the old plain-SHA chain already caught it)."""


@pytest.mark.parametrize(
    ("attack", "expected", "old_caught"),
    [pytest.param(a, e, o, id=name) for name, a, e, o in ISSUE_16],
)
def test_issue_16_attack_is_detected_with_its_own_code(
    home: Home, tmp_path: Path, attack: Callable[[Engine], None], expected: str, old_caught: bool
) -> None:
    old = old_scheme_copy(home, tmp_path)
    attack(old)
    assert old_scheme_verifies(old) is not old_caught

    attack(make_engine(home.url()))
    assert verify_now(home) == (False, expected)


def test_issue_16_restored_backup_passed_the_old_chain_and_is_rolled_back_now(
    home: Home, tmp_path: Path
) -> None:
    old_backup = tmp_path / "old-scheme-backup.db"
    shutil.copyfile(home.backup, old_backup)
    old = make_engine(home.url(old_backup))
    recompute(old, 1)
    assert old_scheme_verifies(old), "an older copy is a valid old-scheme chain on its own"
    old.dispose()

    restore_backup(home)
    assert verify_now(home) == (False, "rolled-back")


def test_the_six_issue_16_codes_are_distinct() -> None:
    codes = [expected for _, _, expected, _ in ISSUE_16] + ["rolled-back"]
    assert len(set(codes)) == 6


def test_rollback_of_the_whole_home_is_caught_by_the_external_copy(home: Home) -> None:
    """The attacker restores the database *and* cuts the local checkpoint log back; the copy on
    the other mount still holds the newer checkpoint."""
    restore_backup(home)
    lines = home.checkpoints.read_text().splitlines(keepends=True)
    home.checkpoints.write_text("".join(lines[:1]))
    assert verify_now(home) == (False, "rolled-back")


def test_forged_checkpoint_is_refused(home: Home) -> None:
    """A checkpoint signed by any other key (here: one derived from another audit key) does not
    count; the whole checkpoint log is then distrusted (fail closed)."""
    truncate_reset_head(make_engine(home.url()))
    stranger = CheckpointSigner.from_audit_key(bytes(32))
    head = home.open()
    forged = stranger.sign(head.head(), "2024-03-01T10:00:00.000000Z")
    head._engine.dispose()
    with home.checkpoints.open("a") as handle:
        handle.write(forged.to_line())
    assert verify_now(home) == (False, "checkpoint-forged")


def test_checkpoint_with_an_edited_count_is_refused(home: Home) -> None:
    lines = home.checkpoints.read_text().splitlines()
    last = json.loads(lines[-1])
    last["count"] = 5
    home.checkpoints.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    home.external.unlink()
    assert verify_now(home) == (False, "checkpoint-forged")


def test_without_checkpoints_the_keyed_chain_alone_still_rejects_recomputed_hashes(
    home: Home,
) -> None:
    """The MAC on its own: an edit recomputed with plain SHA-256 fails at the edited record."""
    edit_field_recompute(make_engine(home.url()))
    engine = make_engine(home.url())
    bare = AuditLog(engine, AUDIT_KEY)
    result = bare.verify()
    engine.dispose()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 4, "hash-mismatch")


def test_checkpoint_files_are_private(home: Home) -> None:
    assert home.checkpoints.stat().st_mode & 0o777 == 0o600
    assert home.checkpoints.parent.stat().st_mode & 0o777 == 0o700


def test_checkpoint_is_due_after_the_interval_even_below_the_count(tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    clock = FixedClock(datetime(2024, 3, 1, 9, 30, tzinfo=UTC), timedelta(seconds=40))
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    log = AuditLog(
        engine,
        AUDIT_KEY,
        clock=clock,
        checkpoints=CheckpointConfig(CheckpointFile(path), every_records=1000, every_s=100.0),
    )
    log.create_schema()
    for n in range(6):
        log.append(ask_event(n))
    engine.dispose()
    counts = [json.loads(line)["count"] for line in path.read_text().splitlines()]
    assert counts, "a checkpoint was written"
    assert counts[0] < 6, "it came from the interval, not the count"


# HTTP sink ---------------------------------------------------------------------------------------


@pytest.fixture
def collector() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/checkpoints", received
    finally:
        server.shutdown()
        server.server_close()


def test_checkpoints_are_pushed_to_an_http_sink(
    tmp_path: Path, collector: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = collector
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    config = CheckpointConfig(CheckpointFile(tmp_path / "cp.jsonl"), 2, 3600.0, (HttpSink(url),))
    log = AuditLog(engine, AUDIT_KEY, checkpoints=config)
    log.create_schema()
    for n in range(5):
        log.append(ask_event(n))
    log.close()
    assert [item["count"] for item in received] == [2, 4, 5]
    signer = CheckpointSigner.from_audit_key(AUDIT_KEY)
    pushed = Checkpoint.from_json(received[-1])
    assert pushed.key_id == signer.key_id
    assert signature_holds(pushed, signer.public_key)


def test_an_unreachable_http_sink_does_not_fail_the_append(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    config = CheckpointConfig(
        CheckpointFile(tmp_path / "cp.jsonl"), 1, 3600.0, (HttpSink("http://127.0.0.1:9/x"),)
    )
    log = AuditLog(engine, AUDIT_KEY, checkpoints=config)
    log.create_schema()
    record = log.append(ask_event(0))
    assert record.seq == 1
    assert json.loads((tmp_path / "cp.jsonl").read_text())["count"] == 1
    engine.dispose()


def test_a_new_process_resumes_the_cadence_from_the_checkpoint_log(home: Home) -> None:
    """Ten records checkpointed at 4, 8 and 10; the next process checkpoints at 14, not 11."""
    log = home.open(seed=99)
    for n in range(4):
        log.append(ask_event(100 + n))
        counts = [json.loads(line)["count"] for line in home.checkpoints.read_text().splitlines()]
        assert counts[-1] == (14 if n == 3 else 10)
    log.close()
    assert verify_now(home) == (True, None)


def test_deleting_every_checkpoint_does_not_hide_a_truncation(home: Home) -> None:
    """Truncate, reset the head, and delete the checkpoint log and its copy: with more records
    than the interval and no checkpoint left, the checkpoints are known to be missing."""
    truncate_reset_head(make_engine(home.url()))
    home.checkpoints.unlink()
    home.external.unlink()
    assert verify_now(home) == (False, "checkpoint-missing")


def test_a_short_log_without_a_checkpoint_yet_verifies(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    config = CheckpointConfig(CheckpointFile(tmp_path / "cp.jsonl"), 4, 3600.0)
    log = AuditLog(engine, AUDIT_KEY, checkpoints=config)
    log.create_schema()
    for n in range(3):
        log.append(ask_event(n))
    assert log.verify().ok, "three records, checkpoint due at four"
    engine.dispose()
