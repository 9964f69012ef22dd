"""Mapping between :class:`AuditRecord` and database rows (JSON text for lists and maps)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clinvault.audit.event import Citation, RetrievedChunk
from clinvault.audit.record import AuditRecord, canonical_json


def record_to_row(record: AuditRecord) -> dict[str, Any]:
    fields = record.hashed_fields()
    return {
        "seq": record.seq,
        "response_id": record.response_id,
        "time": record.time,
        "kind": record.kind,
        "principal": record.principal,
        "role": record.role,
        "purpose": record.purpose,
        "patient": record.patient,
        "question_sealed": record.question_sealed,
        "model": record.model,
        "route": record.route,
        "retrieved": _json(fields["retrieved"]),
        "citations": _json(fields["citations"]),
        "prompt_sha256": record.prompt_sha256,
        "output_sha256": record.output_sha256,
        "latency_ms": fields["latency_ms"],
        "latency_breakdown": _json(fields["latency_breakdown"]),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cost_usd": fields["cost_usd"],
        "outcome": record.outcome,
        "reason": record.reason,
        "break_glass": record.break_glass,
        "break_glass_reason_sealed": record.break_glass_reason_sealed,
        "related_response_id": record.related_response_id,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "count": record.count,
        "client": record.client,
        "vault_audit_ref": record.vault_audit_ref,
    }


def row_to_record(row: Mapping[Any, Any]) -> AuditRecord:
    """Rebuild a record exactly as stored; nothing is validated, so tampering stays visible."""
    retrieved = json.loads(row["retrieved"])
    citations = json.loads(row["citations"])
    return AuditRecord(
        seq=int(row["seq"]),
        response_id=row["response_id"],
        time=row["time"],
        kind=row["kind"],
        principal=row["principal"],
        role=row["role"],
        purpose=row["purpose"],
        patient=row["patient"],
        question_sealed=_bytes(row["question_sealed"]),
        model=row["model"],
        route=row["route"],
        retrieved=tuple(RetrievedChunk(str(c), float(s)) for c, s in retrieved),
        citations=tuple(Citation(str(c), str(r)) for c, r in citations),
        prompt_sha256=row["prompt_sha256"],
        output_sha256=row["output_sha256"],
        latency_ms=row["latency_ms"],
        latency_breakdown=json.loads(row["latency_breakdown"]),
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        outcome=row["outcome"],
        reason=row["reason"],
        break_glass=bool(row["break_glass"]),
        break_glass_reason_sealed=_bytes(row["break_glass_reason_sealed"]),
        related_response_id=row["related_response_id"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
        count=1 if row.get("count") is None else int(row["count"]),
        client=row.get("client"),
        vault_audit_ref=row.get("vault_audit_ref"),
    )


def _json(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _bytes(value: bytes | memoryview | None) -> bytes | None:
    return None if value is None else bytes(value)
