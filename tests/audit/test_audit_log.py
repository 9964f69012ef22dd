"""AuditLog contract, run on SQLite and PostgreSQL (``sql_engine``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinvault.audit import AuditLog
from clinvault.audit.record import GENESIS_HASH, chain_key
from clinvault.db import make_engine
from clinvault.errors import AccessDenied, AuditIntegrityError

from .audit_factories import AUDIT_KEY, PATIENT, QUESTION, ask_event, make_log


@dataclass(frozen=True)
class Person:
    name: str
    role: str


def fill(log: AuditLog, count: int) -> list[str]:
    return [log.append(ask_event(n)).response_id for n in range(count)]


def test_append_chains_records_and_reads_them_back(audit_log: AuditLog) -> None:
    first = audit_log.append(ask_event(0))
    second = audit_log.append(ask_event(1, outcome="refused", reason="no-evidence"))

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.hash != second.hash
    assert audit_log.get(second.response_id) == second
    assert list(audit_log.iter_records()) == [first, second]
    assert audit_log.head().count == 2
    assert audit_log.head().last_hash == second.hash
    assert audit_log.verify().ok


def test_record_round_trips_every_field(audit_log: AuditLog) -> None:
    written = audit_log.append(ask_event(3, break_glass=True, break_glass_reason="unconscious"))
    read = audit_log.get(written.response_id)

    assert read == written
    assert read is not None
    assert read.computed_hash(chain_key(AUDIT_KEY)) == written.hash
    assert read.computed_hash(chain_key(bytes(32))) != written.hash, "the MAC depends on the key"
    view = read.public_dict()
    assert view["patient"] == PATIENT
    assert view["question_encrypted"] is True
    assert "question" not in view
    assert view["retrieved"][0] == {"chunk_id": "chunk-3-a", "score": 0.91}
    assert view["latency_breakdown"] == {"retrieve": 3.25, "llm": 9.0}


def test_response_ids_are_opaque_and_unique(audit_log: AuditLog) -> None:
    ids = fill(audit_log, 5)
    assert len(set(ids)) == 5
    assert all(rid.startswith("RSP-") and len(rid) == 36 for rid in ids)


def test_announced_response_id_is_kept(audit_log: AuditLog) -> None:
    announced = audit_log.new_response_id()
    record = audit_log.append(ask_event(0, response_id=announced))
    assert record.response_id == announced


def test_get_unknown_response_id_is_none(audit_log: AuditLog) -> None:
    assert audit_log.get("RSP-" + "0" * 32) is None


def test_empty_log_verifies(audit_log: AuditLog) -> None:
    result = audit_log.verify()
    assert (result.ok, result.checked) == (True, 0)


def test_create_schema_is_idempotent_and_keeps_the_chain(sql_engine: Engine) -> None:
    log = make_log(sql_engine)
    fill(log, 2)
    log.create_schema()
    assert log.head().count == 2
    assert log.verify().ok


def test_verification_pages_through_long_chains(
    audit_log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clinvault.audit.log.PAGE_SIZE", 3)
    fill(audit_log, 8)
    assert audit_log.verify().checked == 8
    assert [r.seq for r in audit_log.iter_records()] == list(range(1, 9))


# Tamper detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("outcome", "refused"),
        ("principal", "someone.else"),
        ("patient", "PT-0000000000000000"),
        ("purpose", "HRESCH"),
        ("retrieved", '[["chunk-1-a",0.99]]'),
        ("latency_ms", 1.0),
        ("break_glass", True),
        ("time", "2024-03-01T09:30:01.000001Z"),
        ("question_sealed", b"\x01" + b"\x00" * 40),
    ],
)
def test_altered_field_is_detected(
    audit_log: AuditLog, sql_engine: Engine, column: str, value: object
) -> None:
    fill(audit_log, 4)
    with sql_engine.begin() as connection:
        statement = f"UPDATE audit_records SET {column} = :value WHERE seq = 2"  # noqa: S608
        connection.execute(text(statement), {"value": value})
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 2, "hash-mismatch")


def test_deleted_middle_record_is_detected(audit_log: AuditLog, sql_engine: Engine) -> None:
    fill(audit_log, 5)
    with sql_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE seq = 3"))
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 3, "missing-record")


def test_deleted_last_record_is_detected(audit_log: AuditLog, sql_engine: Engine) -> None:
    fill(audit_log, 5)
    with sql_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE seq = 5"))
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 5, "truncated")


def test_swapped_records_are_detected(audit_log: AuditLog, sql_engine: Engine) -> None:
    fill(audit_log, 4)
    with sql_engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET seq = -1 WHERE seq = 2"))
        connection.execute(text("UPDATE audit_records SET seq = 2 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_records SET seq = 3 WHERE seq = -1"))
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 2, "broken-link")


def test_record_added_behind_the_heads_back_is_detected(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    fill(audit_log, 3)
    with sql_engine.begin() as connection:
        connection.execute(text("UPDATE audit_head SET count = 2"))
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 3, "unanchored-records")


def test_undecodable_record_is_reported_not_raised(audit_log: AuditLog, sql_engine: Engine) -> None:
    fill(audit_log, 3)
    with sql_engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET retrieved = 'not json' WHERE seq = 2"))
    result = audit_log.verify()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 2, "undecodable-record")


def test_missing_head_is_detected_and_blocks_appends(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    fill(audit_log, 2)
    with sql_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_head"))
    assert audit_log.verify().reason == "head-missing"
    with pytest.raises(AuditIntegrityError):
        audit_log.append(ask_event(9))


def test_truncation_with_forged_head_is_caught_by_an_external_anchor(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    fill(audit_log, 5)
    anchor = audit_log.head()
    fourth = next(r for r in audit_log.iter_records() if r.seq == 4)
    with sql_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_records WHERE seq = 5"))
        connection.execute(
            text("UPDATE audit_head SET count = 4, last_hash = :h"), {"h": fourth.hash}
        )

    assert audit_log.verify().ok, "without a checkpoint, a head reset to a real record holds"
    result = audit_log.verify(anchor)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 5, "head-reset")


def test_chain_rewritten_with_the_key_fails_against_the_anchor(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    """The residual risk: an insider holding the master key recomputes valid MACs."""
    fill(audit_log, 3)
    anchor = audit_log.head()
    with sql_engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET outcome = 'error' WHERE seq = 3"))
    third = next(r for r in audit_log.iter_records() if r.seq == 3)
    forged = third.computed_hash(chain_key(AUDIT_KEY))
    with sql_engine.begin() as connection:
        connection.execute(text("UPDATE audit_records SET hash = :h WHERE seq = 3"), {"h": forged})
        connection.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": forged})

    assert audit_log.verify().ok, "documented residual risk: the key holder can recompute"
    result = audit_log.verify(anchor)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 3, "anchor-mismatch")


# Encryption ------------------------------------------------------------------------------------


def test_question_and_break_glass_reason_never_reach_the_database_in_plaintext(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    audit_log.append(ask_event(0, break_glass=True, break_glass_reason="Jane Q. Public collapsed"))
    with sql_engine.connect() as connection:
        rows = [
            tuple(row)
            for table in ("audit_records", "audit_head")
            for row in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
        ]
    dump = repr(rows).encode() + b"".join(v for row in rows for v in row if isinstance(v, bytes))
    assert b"Jane" not in dump
    assert b"884422" not in dump
    assert b"HbA1c" not in dump
    if sql_engine.dialect.name == "sqlite":
        database = sql_engine.url.database
        assert database is not None
        files = [Path(database), Path(database + "-wal")]
        raw = b"".join(path.read_bytes() for path in files if path.exists())
        assert b"Jane" not in raw
        assert b"HbA1c" not in raw
        assert b"chunk-0-a" in raw, "the scan reads the data that was written"


def test_auditor_reveal_decrypts_and_is_itself_audited(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(0, break_glass=True, break_glass_reason="unconscious"))
    revealed = audit_log.reveal(record, Person("ann.auditor", "auditor"))

    assert revealed.question == f"{QUESTION} (#0)"
    assert revealed.break_glass_reason == "unconscious"
    view = revealed.view_record
    assert (view.kind, view.principal, view.related_response_id) == (
        "audit-view",
        "ann.auditor",
        record.response_id,
    )
    assert view.patient == PATIENT
    assert audit_log.verify().ok


def test_another_clinician_cannot_reveal_and_the_attempt_is_logged(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(0))
    with pytest.raises(AccessDenied) as denied:
        audit_log.reveal(record, Person("dr.house", "clinician"))
    assert denied.value.reason == "role-not-permitted"
    attempt = audit_log.recent(1)[0]
    assert (attempt.kind, attempt.outcome, attempt.reason, attempt.principal) == (
        "audit-view",
        "refused",
        "role-not-permitted",
        "dr.house",
    )
    assert attempt.related_response_id == record.response_id


def test_the_asker_may_reveal_their_own_question_and_it_is_logged(audit_log: AuditLog) -> None:
    record = audit_log.append(ask_event(0))
    revealed = audit_log.reveal(record, Person("dr.grey", "clinician"))
    assert revealed.question == f"{QUESTION} (#0)"
    assert (revealed.view_record.outcome, revealed.view_record.reason) == (
        "allowed",
        "own-question-revealed",
    )
    assert audit_log.verify().ok


def test_ciphertext_moved_to_another_record_does_not_open(
    audit_log: AuditLog, sql_engine: Engine
) -> None:
    first, second = (audit_log.get(rid) for rid in fill(audit_log, 2))
    assert first is not None
    assert second is not None
    with sql_engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_records SET question_sealed = :q WHERE seq = 2"),
            {"q": first.question_sealed},
        )
    moved = audit_log.get(second.response_id)
    assert moved is not None
    with pytest.raises(AuditIntegrityError):
        audit_log.reveal(moved, Person("ann.auditor", "auditor"))


# Determinism -----------------------------------------------------------------------------------


def test_same_clock_and_seed_give_identical_chains_on_every_backend(sql_engine: Engine) -> None:
    reference = make_log(make_engine("sqlite://"))
    expected = [reference.append(ask_event(n)) for n in range(3)]

    log = make_log(sql_engine)
    assert [log.append(ask_event(n)) for n in range(3)] == expected
    assert list(log.iter_records()) == expected


def test_different_randomness_changes_ids_and_hashes(sql_engine: Engine) -> None:
    one = make_log(make_engine("sqlite://"), seed=1).append(ask_event(0))
    two = make_log(sql_engine, seed=2).append(ask_event(0))
    assert one.response_id != two.response_id
    assert one.question_sealed != two.question_sealed
    assert one.hash != two.hash
