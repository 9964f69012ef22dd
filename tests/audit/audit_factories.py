"""Builders for audit tests: a deterministic log and a realistic ``ask`` event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from clinvault.audit import AuditEvent, AuditLog, Citation, RetrievedChunk
from clinvault.clock import FixedClock, seeded_random
from clinvault.crypto import digest

AUDIT_KEY = bytes(range(32))
PATIENT = "PT-3F9A1C0B7D2E4A61"
QUESTION = "What was the latest HbA1c for Jane Q. Public, MRN 884422?"


def make_log(engine: Engine, seed: int = 7) -> AuditLog:
    clock = FixedClock(datetime(2024, 3, 1, 9, 30, tzinfo=UTC), timedelta(seconds=1))
    log = AuditLog(engine, AUDIT_KEY, clock=clock, random=seeded_random(seed))
    log.create_schema()
    return log


def ask_event(n: int = 0, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "kind": "ask",
        "principal": "dr.grey",
        "role": "clinician",
        "purpose": "TREAT",
        "patient": PATIENT,
        "question": f"{QUESTION} (#{n})",
        "model": "clinvault/evidence",
        "route": "local",
        "retrieved": (RetrievedChunk(f"chunk-{n}-a", 0.91), RetrievedChunk(f"chunk-{n}-b", 0.5)),
        "citations": (Citation(f"chunk-{n}-a", "RES-9C0FE2D4A1B37755"),),
        "prompt_sha256": digest(f"prompt {n}".encode()),
        "output_sha256": digest(f"output {n}".encode()),
        "latency_ms": 12.5 + n,
        "latency_breakdown": {"retrieve": 3.25, "llm": 9},
        "prompt_tokens": 120,
        "completion_tokens": 31,
        "cost_usd": 0,
        "outcome": "answered",
        "reason": "grounded",
    }
    fields.update(overrides)
    return AuditEvent(**fields)
