"""``GET /v1/responses/{id}``: what a response was built from, for auditors and the asker.

Auditors and the asking principal also get the (sealed) question; every view is appended to
the audit log as an ``audit-view`` record (``question-revealed`` for an auditor,
``own-question-revealed`` for the asker). Anyone else, and any unknown id, gets the same
audited 403, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from clinvault.access import Role
from clinvault.api.deps import Caller, Denials, State
from clinvault.api.errors import FORBIDDEN, documented
from clinvault.api.routes.chat import DENIALS
from clinvault.api.schemas import ResponseTrace

router = APIRouter(prefix="/v1/responses", tags=["responses"])


@router.get("/{response_id}", response_model=ResponseTrace, responses=documented(*DENIALS, 422))
async def response_trace(
    response_id: Annotated[str, Path(pattern=r"^RSP-[0-9A-F]{32}$")],
    caller: Caller,
    state: State,
    denials: Denials,
) -> ResponseTrace:
    audit = state.services.audit
    record = await run_in_threadpool(audit.get, response_id)
    auditor = caller.principal.role == Role.AUDITOR
    if record is None or record.kind != "ask" or not (auditor or record.principal == caller.name):
        raise denials.refuse(
            FORBIDDEN,
            "response-not-visible",
            principal=caller.name,
            role=caller.role,
            message="no response with this id is visible to this principal",
        )
    revealed = await run_in_threadpool(audit.reveal, record, caller.principal)
    return ResponseTrace(
        response_id=record.response_id,
        time=record.time,
        principal=record.principal,
        role=record.role,
        purpose=record.purpose,
        patient_token=record.patient,
        question=revealed.question,
        model=record.model,
        route=record.route,
        outcome=record.outcome,
        reason=record.reason,
        retrieved=[{"chunk_id": r.chunk_id, "score": r.score} for r in record.retrieved],
        citations=[
            {"chunk_id": c.chunk_id, "resource_token": c.resource} for c in record.citations
        ],
        break_glass=record.break_glass,
        prompt_sha256=record.prompt_sha256,
        output_sha256=record.output_sha256,
        latency_ms=record.latency_ms,
    )
