"""Audit tables (SQLAlchemy Core): the records and a single head row.

``audit_head`` (one row, ``id = 1``) holds the record count and the last hash. It is
updated in the same transaction as each append and locked first, which serializes
writers on PostgreSQL (``SELECT ... FOR UPDATE``); SQLite writers serialize on
``BEGIN IMMEDIATE``. Lists and maps are stored as canonical JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

HEAD_ROW_ID = 1


@dataclass(frozen=True)
class AuditTables:
    metadata: MetaData
    records: Table
    head: Table


def audit_tables() -> AuditTables:
    metadata = MetaData()
    records = Table(
        "audit_records",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("response_id", String(36), nullable=False, unique=True),
        Column("time", String(32), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("principal", Text, nullable=False),
        Column("role", Text),
        Column("purpose", Text),
        Column("patient", String(19)),
        Column("question_sealed", LargeBinary),
        Column("model", Text),
        Column("route", Text),
        Column("retrieved", Text, nullable=False),
        Column("citations", Text, nullable=False),
        Column("prompt_sha256", String(64)),
        Column("output_sha256", String(64)),
        Column("latency_ms", Float(precision=53)),
        Column("latency_breakdown", Text, nullable=False),
        Column("prompt_tokens", Integer),
        Column("completion_tokens", Integer),
        Column("cost_usd", Float(precision=53)),
        Column("outcome", String(16), nullable=False),
        Column("reason", String(64), nullable=False),
        Column("break_glass", Boolean, nullable=False),
        Column("break_glass_reason_sealed", LargeBinary),
        Column("related_response_id", String(36)),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Column("count", Integer),  # NULL (older rows) reads as 1
        Column("client", Text),
        Column("vault_audit_ref", Text),
        Index("ix_audit_records_patient", "patient"),
        Index("ix_audit_records_break_glass", "break_glass"),
    )
    head = Table(
        "audit_head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("count", BigInteger, nullable=False),
        Column("last_hash", String(64), nullable=False),
        Column("updated_at", String(32), nullable=False),
    )
    return AuditTables(metadata, records, head)
