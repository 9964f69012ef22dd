"""One stored audit record and its place in the keyed chain.

``hash = HMAC-SHA256(chain_key, prev_hash || canonical_json(fields))`` where ``fields`` are
every stored column except ``hash`` and ``prev_hash`` (ciphertexts as base64), plus the format
version (2; version 1 was an unkeyed SHA-256 that anyone with write access could recompute).
``chain_key`` is derived from the audit sub-key of the key ring (:func:`chain_key`), so
recomputing a record's hash after an edit needs the deployment's master key.
Canonical JSON: sorted keys, no whitespace, UTF-8, no NaN. Values are normalized before
hashing (floats as floats, tuples as lists) so a record read back from SQLite or
PostgreSQL hashes exactly as it did when it was written.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clinvault.audit.event import Citation, EventKind, Outcome, RetrievedChunk
from clinvault.crypto import derive_key, keyed_hash

FORMAT_VERSION = 2
CHAIN_KEY_PURPOSE = "clinvault/audit/chain/v2"
GENESIS_HASH = "0" * 64
"""``prev_hash`` of record 1."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    response_id: str
    time: str
    """UTC, ISO-8601 with microseconds and ``Z``."""
    kind: EventKind
    principal: str
    role: str | None
    purpose: str | None
    patient: str | None
    question_sealed: bytes | None
    model: str | None
    route: str | None
    retrieved: tuple[RetrievedChunk, ...]
    citations: tuple[Citation, ...]
    prompt_sha256: str | None
    output_sha256: str | None
    latency_ms: float | None
    latency_breakdown: Mapping[str, float]
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    outcome: Outcome
    reason: str
    break_glass: bool
    break_glass_reason_sealed: bytes | None
    related_response_id: str | None
    prev_hash: str
    hash: str = field(default="")
    count: int = 1
    """Identical events this record stands for (aggregated refusals); hashed when not 1."""
    client: str | None = None
    """Client address of a refused request; hashed when set."""
    vault_audit_ref: str | None = None
    """The vault service's audit record of this answer's re-identification; hashed when set."""

    def hashed_fields(self) -> dict[str, Any]:
        """Everything the chain hash covers (``prev_hash`` enters as the prefix). ``count`` and
        ``client`` enter only when set, so records written before they existed still verify."""
        fields: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "response_id": self.response_id,
            "time": self.time,
            "kind": self.kind,
            "principal": self.principal,
            "role": self.role,
            "purpose": self.purpose,
            "patient": self.patient,
            "question_sealed": _b64(self.question_sealed),
            "model": self.model,
            "route": self.route,
            "retrieved": [[hit.chunk_id, float(hit.score)] for hit in self.retrieved],
            "citations": [[c.chunk_id, c.resource] for c in self.citations],
            "prompt_sha256": self.prompt_sha256,
            "output_sha256": self.output_sha256,
            "latency_ms": _float(self.latency_ms),
            "latency_breakdown": {k: float(v) for k, v in self.latency_breakdown.items()},
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": _float(self.cost_usd),
            "outcome": self.outcome,
            "reason": self.reason,
            "break_glass": self.break_glass,
            "break_glass_reason_sealed": _b64(self.break_glass_reason_sealed),
            "related_response_id": self.related_response_id,
        }
        if self.count != 1:
            fields["count"] = self.count
        if self.client is not None:
            fields["client"] = self.client
        if self.vault_audit_ref is not None:
            fields["vault_audit_ref"] = self.vault_audit_ref
        return fields

    def computed_hash(self, key: bytes) -> str:
        """The record's MAC under the chain key (see :func:`chain_key`)."""
        return chain_hash(key, self.prev_hash, self.hashed_fields())

    def public_dict(self) -> dict[str, Any]:
        """JSON-ready view without ciphertexts: safe to print for any role."""
        view = self.hashed_fields()
        del view["v"], view["question_sealed"], view["break_glass_reason_sealed"]
        view["retrieved"] = [{"chunk_id": h.chunk_id, "score": h.score} for h in self.retrieved]
        view["citations"] = [
            {"chunk_id": c.chunk_id, "resource": c.resource} for c in self.citations
        ]
        view["question_encrypted"] = self.question_sealed is not None
        view["break_glass_reason_encrypted"] = self.break_glass_reason_sealed is not None
        view["count"] = self.count
        view["client"] = self.client
        view["vault_audit_ref"] = self.vault_audit_ref
        view["prev_hash"] = self.prev_hash
        view["hash"] = self.hash
        return view


def canonical_json(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_key(audit_key: bytes) -> bytes:
    """The MAC key of the chain, derived from the audit sub-key (HKDF; never stored)."""
    return derive_key(audit_key, CHAIN_KEY_PURPOSE)


def chain_hash(key: bytes, prev_hash: str, fields: Mapping[str, Any]) -> str:
    return keyed_hash(key, prev_hash.encode("ascii") + canonical_json(fields))


def _b64(blob: bytes | None) -> str | None:
    return None if blob is None else base64.b64encode(blob).decode("ascii")


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
