"""What a caller hands to :meth:`AuditLog.append`: one audited event, validated up front.

Nothing here may hold PHI in plaintext except ``question`` and ``break_glass_reason``
(free text typed by a person), which the log encrypts before they touch the database.
The patient is a pseudonymous token (``PT-…``), citations name resource tokens
(``RES-…``), reasons are stable codes. Validation errors never quote the offending value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from clinvault.errors import PrivacyError

EventKind = Literal["ask", "access", "audit-view", "admin"]
"""``ask``: a question answered or refused; ``access``: an authorization decision;
``audit-view``: an auditor decrypted the free-text fields of an audit record; ``admin``: an
operator's lifecycle action (erasure, key rotation, consent, retention purge, re-ingest),
named by its reason code."""

Outcome = Literal["answered", "refused", "blocked", "error", "allowed", "aborted"]
"""``allowed`` is used by ``access`` and ``audit-view`` events only; ``aborted``: a streamed
answer the client stopped reading before it ended."""

EVENT_KINDS: tuple[EventKind, ...] = ("ask", "access", "audit-view", "admin")
OUTCOMES: tuple[Outcome, ...] = ("answered", "refused", "blocked", "error", "allowed", "aborted")

PATIENT_TOKEN = re.compile(r"PT-[0-9A-F]{16}")
RESOURCE_TOKEN = re.compile(r"RES-[0-9A-F]{16}")
RESPONSE_ID = re.compile(r"RSP-[0-9A-F]{32}")
REASON_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
VAULT_AUDIT_REF = re.compile(r"vault:[0-9]{1,19}:[0-9a-f]{64}")
"""``vault:<seq>:<hash>``: one record of a vault service's own audit chain."""
PLAIN_LABEL = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
"""Principal, role, purpose, model, route, chunk ids: printable, at most 256 characters."""


@dataclass(frozen=True, slots=True)
class RetrievedChunk:
    chunk_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Citation:
    chunk_id: str
    resource: str
    """Resource token (``RES-…``)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    kind: EventKind
    principal: str
    """The acting user's name (workforce identity, not patient data)."""
    outcome: Outcome
    reason: str
    """Stable code, e.g. ``grounded``, ``no-relationship``, ``egress-blocked``."""
    role: str | None = None
    purpose: str | None = None
    """HL7 PurposeOfUse code: ``TREAT``, ``ETREAT``, ``HOPERAT``, ``HRESCH``."""
    patient: str | None = None
    """Patient token ``PT-…``; never a source reference."""
    question: str | None = None
    """Encrypted by the log (AES-GCM, AAD bound to the response id)."""
    model: str | None = None
    route: str | None = None
    """Provider or model route that produced the answer."""
    retrieved: tuple[RetrievedChunk, ...] = ()
    citations: tuple[Citation, ...] = ()
    prompt_sha256: str | None = None
    output_sha256: str | None = None
    latency_ms: float | None = None
    latency_breakdown: Mapping[str, float] = field(default_factory=dict)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    break_glass: bool = False
    break_glass_reason: str | None = None
    """Free text typed by the clinician; encrypted like the question."""
    response_id: str | None = None
    """Set when the caller already announced the id (``RSP-`` + 32 hex); else the log draws one."""
    related_response_id: str | None = None
    """Links an ``ask`` to its ``access`` decision, or an ``audit-view`` to the record viewed."""
    count: int = 1
    """How many identical events this record stands for (repeated refusals are aggregated)."""
    client: str | None = None
    """The network client (address) of a refused request; workforce traffic, not patient data."""
    vault_audit_ref: str | None = None
    """The vault service's own audit record of the re-identification this answer needed
    (``vault:<seq>:<hash>``, :data:`VAULT_AUDIT_REF`); set by a process whose vault is remote."""

    def __post_init__(self) -> None:
        validate_event(self)


def validate_event(event: AuditEvent) -> None:
    """Raise on anything that is malformed or could carry PHI in plaintext."""
    if event.kind not in EVENT_KINDS:
        raise ValueError("audit event kind is not one of " + ", ".join(EVENT_KINDS))
    if event.outcome not in OUTCOMES:
        raise ValueError("audit outcome is not one of " + ", ".join(OUTCOMES))
    if event.patient is not None and not PATIENT_TOKEN.fullmatch(event.patient):
        raise PrivacyError("audit records take a patient token (PT-…), never a source reference")
    if not REASON_CODE.fullmatch(event.reason):
        raise ValueError("audit reason must be a stable code: lowercase letters, digits, '-'")
    _check_labels(event)
    _check_chunks(event)
    _check_numbers(event)
    for name in ("prompt_sha256", "output_sha256"):
        value = getattr(event, name)
        if value is not None and not SHA256_HEX.fullmatch(value):
            raise ValueError(f"audit {name} must be 64 lowercase hex digits")
    for name in ("response_id", "related_response_id"):
        value = getattr(event, name)
        if value is not None and not RESPONSE_ID.fullmatch(value):
            raise ValueError(f"audit {name} must be RSP- followed by 32 upper hex digits")
    if event.vault_audit_ref is not None and not VAULT_AUDIT_REF.fullmatch(event.vault_audit_ref):
        raise ValueError("audit vault_audit_ref must be vault:<seq>:<64 lowercase hex>")
    if event.break_glass != bool(event.break_glass_reason and event.break_glass_reason.strip()):
        raise ValueError("break-glass events need a reason, and only break-glass events have one")


def _check_labels(event: AuditEvent) -> None:
    if not PLAIN_LABEL.fullmatch(event.principal):
        raise ValueError("audit principal must be 1-256 printable characters")
    for name in ("role", "purpose", "model", "route", "client"):
        value = getattr(event, name)
        if value is not None and not PLAIN_LABEL.fullmatch(value):
            raise ValueError(f"audit {name} must be 1-256 printable characters")


def _check_chunks(event: AuditEvent) -> None:
    for hit in event.retrieved:
        if not PLAIN_LABEL.fullmatch(hit.chunk_id) or not _finite(hit.score):
            raise ValueError("retrieved chunks need a printable chunk id and a finite score")
    for citation in event.citations:
        if not PLAIN_LABEL.fullmatch(citation.chunk_id):
            raise ValueError("citations need a printable chunk id")
        if not RESOURCE_TOKEN.fullmatch(citation.resource):
            raise PrivacyError("citations take a resource token (RES-…), never a source reference")


def _check_numbers(event: AuditEvent) -> None:
    for name in ("latency_ms", "cost_usd"):
        value = getattr(event, name)
        if value is not None and (not _finite(value) or value < 0):
            raise ValueError(f"audit {name} must be a finite, non-negative number")
    for stage, millis in event.latency_breakdown.items():
        if not PLAIN_LABEL.fullmatch(stage) or not _finite(millis) or millis < 0:
            raise ValueError("latency breakdown maps stage names to non-negative milliseconds")
    if isinstance(event.count, bool) or not isinstance(event.count, int) or event.count < 1:
        raise ValueError("audit count must be a positive integer")
    for name in ("prompt_tokens", "completion_tokens"):
        value = getattr(event, name)
        if value is not None and (isinstance(value, bool) or value < 0):
            raise ValueError(f"audit {name} must be a non-negative integer")


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
