"""The tamper-evident audit log: append-only records in a keyed chain (SQLite or PostgreSQL).

Appends are group-committed (:mod:`.group_commit`): concurrent appends of one process share
one write transaction, which locks the head row, chains the batch's records from
``seq = count + 1`` and ``prev_hash = last_hash`` in the order they queued, inserts them,
updates the head once and commits (one fsync for the batch). Concurrent writers (threads or
processes) therefore get gapless, strictly ordered sequence numbers.

Durability: :meth:`AuditLog.append` returns only after the transaction holding its record
has committed, so a caller that appends before it answers (the ask service, the API) never
sends a response whose record is not on disk. A crash between that commit and sending the
response leaves the record (outcome as decided, e.g. ``answered``) for a response the client
never received: the log over-reports a disclosure, it never under-reports one; the client
retries and the retry is audited as its own record. A crash before the commit loses the
record and the response alike (nothing was sent). A batch whose transaction fails is
retried one record per transaction, so only the failing record's caller gets the error.

Each record's hash is an HMAC under a key derived from the audit sub-key (:mod:`.record`);
with a :class:`CheckpointConfig`, the head is also signed every N records or T seconds and
written outside the database (:mod:`.checkpoints`), and :meth:`AuditLog.verify` checks the
chain against the latest signed checkpoint.

The question and the break-glass reason are sealed before they reach the database; only a
viewer with the ``auditor`` role may open them (:meth:`AuditLog.reveal`), and every reveal
is itself appended as an ``audit-view`` record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clinvault.audit.chain import AuditHead, HeadRow, VerifyResult, verify_chain
from clinvault.audit.checkpoints import (
    Checkpoint,
    CheckpointConfig,
    Checkpointer,
    CheckpointSigner,
    latest_checkpoint,
)
from clinvault.audit.event import AuditEvent
from clinvault.audit.group_commit import GroupCommit
from clinvault.audit.record import GENESIS_HASH, AuditRecord, chain_key
from clinvault.audit.rows import record_to_row, row_to_record
from clinvault.audit.schema import HEAD_ROW_ID, AuditTables, audit_tables
from clinvault.audit.sealing import FieldSealer, SealedField
from clinvault.clock import Clock, RandomBytes, SystemClock, system_random
from clinvault.db import is_sqlite, open_store, snapshot, write_transaction
from clinvault.errors import AccessDenied, AuditIntegrityError, VaultError
from clinvault.keys import RecordKeySource, load_record_keys
from clinvault.settings import Settings

AUDITOR_ROLE = "auditor"
RESPONSE_ID_BYTES = 16
PAGE_SIZE = 500


class Viewer(Protocol):
    """Whoever reads the log: a name and a role (an access ``Principal`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class RevealedFields:
    question: str | None
    break_glass_reason: str | None
    view_record: AuditRecord
    """The ``audit-view`` record that logged this reveal."""


class AuditLog:
    def __init__(
        self,
        engine: Engine,
        key: bytes,
        *,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
        checkpoints: CheckpointConfig | None = None,
    ) -> None:
        """``key`` is the audit sub-key of the key ring: it seals the free-text fields, and the
        chain's MAC key and the checkpoint signing key are derived from it. Without
        ``checkpoints`` nothing is signed and :meth:`verify` has only the database to go by."""
        self._engine = engine
        self._clock = clock or SystemClock()
        self._random = random or system_random()
        self._sealer = FieldSealer(key, self._random)
        self._chain_key = chain_key(key)
        self._signer = CheckpointSigner.from_audit_key(key)
        self._checkpointer = (
            None if checkpoints is None else Checkpointer(checkpoints, self._signer)
        )
        self._tables: AuditTables = audit_tables()
        self._group: GroupCommit[_Pending, AuditRecord] = GroupCommit(self._commit_batch)

    @property
    def group_commits(self) -> int:
        """Append transactions this log has committed (a batch of appends is one)."""
        return self._group.batches

    @property
    def queued_appends(self) -> int:
        """Appends waiting for the next group transaction (the one committing not counted)."""
        return self._group.queued

    @classmethod
    def open(
        cls,
        settings: Settings,
        keys: RecordKeySource | None = None,
        *,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
    ) -> AuditLog:
        """The deployment's log at ``settings.audit_url``, schema created if missing."""
        ring = keys or load_record_keys(settings, random)
        checkpoints = CheckpointConfig.from_settings(settings)
        return open_store(
            settings.audit_url,
            lambda engine: cls(
                engine, ring.audit, clock=clock, random=random, checkpoints=checkpoints
            ),
        )

    def create_schema(self) -> None:
        """Create the tables and the head row if they do not exist (idempotent)."""
        self._tables.metadata.create_all(self._engine)
        _add_missing_columns(self._engine, self._tables, ("count", "client", "vault_audit_ref"))
        head_row = {"id": HEAD_ROW_ID, "count": 0, "last_hash": GENESIS_HASH, "updated_at": ""}
        with write_transaction(self._engine) as connection:
            dialect_insert = sqlite.insert if is_sqlite(connection) else postgresql.insert
            connection.execute(
                dialect_insert(self._tables.head).values(head_row).on_conflict_do_nothing()
            )

    def close(self) -> None:
        """Checkpoint what this process appended since the last checkpoint, then let go."""
        try:
            if self._checkpointer is not None:
                head = self.head()
                if self._checkpointer.pending(head):
                    self._write_checkpoint(head)
        finally:
            self._engine.dispose()

    def new_response_id(self) -> str:
        """A random, opaque id (``RSP-`` + 32 hex) to announce before appending."""
        return "RSP-" + self._random(RESPONSE_ID_BYTES).hex().upper()

    # Writing ---------------------------------------------------------------------------------

    def append(self, event: AuditEvent) -> AuditRecord:
        response_id = event.response_id or self.new_response_id()
        question = (
            None
            if event.question is None
            else self._sealer.seal(response_id, "question", event.question)
        )
        reason = (
            None
            if event.break_glass_reason is None
            else self._sealer.seal(response_id, "break_glass_reason", event.break_glass_reason)
        )
        record = self._group.submit(_Pending(event, response_id, question, reason))
        # committed: the record is durable before the caller goes on (e.g. sends the answer)
        if self._checkpointer is not None:
            head = AuditHead(record.seq, record.hash)
            moment = datetime.fromisoformat(record.time.replace("Z", "+00:00"))
            if self._checkpointer.due(head, moment.timestamp()):
                self._write_checkpoint(head, moment)
        return record

    def _commit_batch(self, batch: Sequence[_Pending]) -> list[AuditRecord]:
        """One transaction for the whole batch: records chained in queue order, one head update."""
        records: list[AuditRecord] = []
        with write_transaction(self._engine) as connection:
            head = self._locked_head(connection)
            for pending in batch:
                time = _iso(self._clock.now())
                record = _record_for(
                    pending.event,
                    pending.response_id,
                    pending.question,
                    pending.reason,
                    head,
                    time,
                    self._chain_key,
                )
                records.append(record)
                head = AuditHead(record.seq, record.hash)
            connection.execute(self._tables.records.insert(), [record_to_row(r) for r in records])
            connection.execute(
                update(self._tables.head)
                .where(self._tables.head.c.id == HEAD_ROW_ID)
                .values(count=head.count, last_hash=head.last_hash, updated_at=records[-1].time)
            )
        return records

    # Checkpoints -----------------------------------------------------------------------------

    @property
    def signing_public_key(self) -> bytes:
        """The raw Ed25519 public key that checkpoint signatures verify under."""
        return self._signer.public_key

    def checkpoint(self) -> Checkpoint:
        """Sign the current head now and write it to the checkpoint log and sinks."""
        if self._checkpointer is None:
            raise AuditIntegrityError("no checkpoint log is configured for this audit log")
        return self._write_checkpoint(self.head())

    def latest_checkpoint(self) -> Checkpoint | None:
        """The highest signed checkpoint in the log and the readable sinks (verified)."""
        if self._checkpointer is None:
            return None
        found = latest_checkpoint(self._checkpointer.config.readable(), self._signer.public_key)
        if found.problem is not None:
            raise AuditIntegrityError(f"audit checkpoint does not verify: {found.where}")
        return found.checkpoint

    def _write_checkpoint(self, head: AuditHead, moment: datetime | None = None) -> Checkpoint:
        if self._checkpointer is None:
            raise AuditIntegrityError("no checkpoint log is configured for this audit log")
        now = moment or self._clock.now()
        return self._checkpointer.write(head, _iso(now), now.timestamp())

    # Reading ---------------------------------------------------------------------------------

    def get(self, response_id: str) -> AuditRecord | None:
        records = self._tables.records
        with self._engine.connect() as connection:
            row = connection.execute(
                select(records).where(records.c.response_id == response_id)
            ).first()
        return None if row is None else row_to_record(row._mapping)

    def iter_records(self) -> Iterator[AuditRecord]:
        """Every record in ``seq`` order, read page by page in one consistent snapshot."""
        with snapshot(self._engine) as connection:
            for row in self._rows(connection):
                yield row_to_record(row)

    def recent(self, limit: int) -> list[AuditRecord]:
        records = self._tables.records
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(records).order_by(records.c.seq.desc()).limit(limit)
            ).all()
        return [row_to_record(row._mapping) for row in rows]

    def break_glass_records(self) -> list[AuditRecord]:
        records = self._tables.records
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(records).where(records.c.break_glass.is_(True)).order_by(records.c.seq)
            ).all()
        return [row_to_record(row._mapping) for row in rows]

    def head(self) -> AuditHead:
        with self._engine.connect() as connection:
            head = self._read_head(connection)
        if head is None:
            raise AuditIntegrityError("the audit head row is missing")
        return head

    # Integrity and disclosure ----------------------------------------------------------------

    def verify(self, anchor: AuditHead | None = None) -> VerifyResult:
        """Walk the whole chain in one snapshot against the latest signed checkpoint (when a
        checkpoint log is configured) and ``anchor`` (a head kept by hand), if given; see
        :mod:`clinvault.audit.chain` for the failure codes. A checkpoint line that does not
        parse or verify fails as ``checkpoint-forged``; a chain longer than the checkpoint
        interval without any checkpoint (the checkpoint log was deleted) as
        ``checkpoint-missing``."""
        anchors: list[AuditHead] = []
        missing_after: int | None = None
        if self._checkpointer is not None:
            config = self._checkpointer.config
            found = latest_checkpoint(config.readable(), self._signer.public_key)
            if found.problem is not None:
                return VerifyResult(False, None, found.problem, 0)
            if found.checkpoint is not None:
                anchors.append(found.checkpoint.head)
            else:
                missing_after = config.every_records
        if anchor is not None:
            anchors.append(anchor)
        result = self._verify_against(anchors[0] if anchors else None)
        for known in anchors[1:]:
            if not result.ok:
                break
            result = self._verify_against(known)
        if result.ok and missing_after is not None and result.checked > missing_after:
            return VerifyResult(False, None, "checkpoint-missing", result.checked)
        return result

    def _verify_against(self, anchor: AuditHead | None) -> VerifyResult:
        with snapshot(self._engine) as connection:
            head = self._read_head_row(connection)
            decoded = _DecodingWalk(self._rows(connection))
            result = verify_chain(decoded, head, self._chain_key, anchor)
        if decoded.failed_seq is not None:
            return VerifyResult(False, decoded.failed_seq, "undecodable-record", decoded.walked)
        return result

    def reveal(self, record: AuditRecord, viewer: Viewer) -> RevealedFields:
        """Decrypt a record's free text for an auditor, or for the principal who asked it (their
        own question). Every attempt is logged first, as an ``audit-view`` record; anyone
        else's attempt is logged as refused, then denied."""
        if viewer.role == AUDITOR_ROLE:
            view_reason = "question-revealed"
        elif record.kind == "ask" and viewer.name == record.principal:
            view_reason = "own-question-revealed"
        else:
            view_reason = "role-not-permitted"
        permitted = view_reason != "role-not-permitted"
        view = self.append(
            AuditEvent(
                kind="audit-view",
                principal=viewer.name,
                role=viewer.role,
                patient=record.patient,
                outcome="allowed" if permitted else "refused",
                reason=view_reason,
                related_response_id=record.response_id,
            )
        )
        if not permitted:
            raise AccessDenied(
                "role-not-permitted", "only auditors and the asker may read audited questions"
            )
        try:
            question = self._open(record, "question")
            reason = self._open(record, "break_glass_reason")
        except VaultError:
            raise AuditIntegrityError(
                f"audit record {record.seq}: encrypted field does not open"
            ) from None
        return RevealedFields(question, reason, view)

    # Internals -------------------------------------------------------------------------------

    def _open(self, record: AuditRecord, name: SealedField) -> str | None:
        blob = record.question_sealed if name == "question" else record.break_glass_reason_sealed
        return None if blob is None else self._sealer.open(record.response_id, name, blob)

    def _locked_head(self, connection: Connection) -> AuditHead:
        head = self._tables.head
        row = connection.execute(
            select(head.c.count, head.c.last_hash).where(head.c.id == HEAD_ROW_ID).with_for_update()
        ).first()
        if row is None:
            raise AuditIntegrityError("the audit head row is missing; refusing to append")
        return AuditHead(int(row._mapping["count"]), str(row._mapping["last_hash"]))

    def _read_head(self, connection: Connection) -> AuditHead | None:
        head = self._tables.head
        row = connection.execute(
            select(head.c.count, head.c.last_hash).where(head.c.id == HEAD_ROW_ID)
        ).first()
        return (
            None
            if row is None
            else AuditHead(int(row._mapping["count"]), str(row._mapping["last_hash"]))
        )

    def _read_head_row(self, connection: Connection) -> HeadRow | None:
        head = self._tables.head
        row = connection.execute(select(head).where(head.c.id == HEAD_ROW_ID)).first()
        if row is None:
            return None
        values = row._mapping
        return HeadRow(
            AuditHead(int(values["count"]), str(values["last_hash"])), str(values["updated_at"])
        )

    def _rows(self, connection: Connection) -> Iterator[dict[str, Any]]:
        records = self._tables.records
        last_seq: int | None = None
        while True:
            query = select(records).order_by(records.c.seq).limit(PAGE_SIZE)
            if last_seq is not None:
                query = query.where(records.c.seq > last_seq)
            page = [dict(row._mapping) for row in connection.execute(query)]
            yield from page
            if len(page) < PAGE_SIZE:
                return
            last_seq = int(page[-1]["seq"])


@dataclass(frozen=True, slots=True)
class _Pending:
    """An append waiting for its group's transaction (free text already sealed)."""

    event: AuditEvent
    response_id: str
    question: bytes | None
    reason: bytes | None


def _add_missing_columns(engine: Engine, tables: AuditTables, names: tuple[str, ...]) -> None:
    """Columns added after a log was created (nullable, so older rows keep their meaning)."""
    present = {column["name"] for column in inspect(engine).get_columns("audit_records")}
    with write_transaction(engine) as connection:
        for name in names:
            if name not in present:
                column = tables.records.c[name]
                kind = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE audit_records ADD COLUMN {name} {kind}")


class _DecodingWalk:
    """Turns rows into records for the verifier; stops at the first undecodable row."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self._rows = rows
        self.failed_seq: int | None = None
        self.walked = 0

    def __iter__(self) -> Iterator[AuditRecord]:
        for row in self._rows:
            try:
                record = row_to_record(row)
            except (ValueError, TypeError, KeyError):
                self.failed_seq = self.walked + 1
                return
            self.walked += 1
            yield record


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record_for(
    event: AuditEvent,
    response_id: str,
    question: bytes | None,
    break_glass_reason: bytes | None,
    head: AuditHead,
    time: str,
    key: bytes,
) -> AuditRecord:
    record = AuditRecord(
        seq=head.count + 1,
        response_id=response_id,
        time=time,
        kind=event.kind,
        principal=event.principal,
        role=event.role,
        purpose=event.purpose,
        patient=event.patient,
        question_sealed=question,
        model=event.model,
        route=event.route,
        retrieved=event.retrieved,
        citations=event.citations,
        prompt_sha256=event.prompt_sha256,
        output_sha256=event.output_sha256,
        latency_ms=None if event.latency_ms is None else float(event.latency_ms),
        latency_breakdown={k: float(v) for k, v in event.latency_breakdown.items()},
        prompt_tokens=event.prompt_tokens,
        completion_tokens=event.completion_tokens,
        cost_usd=None if event.cost_usd is None else float(event.cost_usd),
        outcome=event.outcome,
        reason=event.reason,
        break_glass=event.break_glass,
        break_glass_reason_sealed=break_glass_reason,
        related_response_id=event.related_response_id,
        prev_hash=head.last_hash,
        count=event.count,
        client=event.client,
        vault_audit_ref=event.vault_audit_ref,
    )
    return replace(record, hash=record.computed_hash(key))
