"""``GET /v1/patients`` and ``GET /v1/patients/{patient}/resources/{resource_token}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from clinvault.access import Role
from clinvault.api import chat_flow
from clinvault.api.deps import Caller, Denials, State
from clinvault.api.errors import FORBIDDEN, ApiError, documented
from clinvault.api.patient_directory import listed_patients
from clinvault.api.routes.chat import DENIALS, BreakGlass
from clinvault.api.schemas import PURPOSE, PatientsResponse, optional_string
from clinvault.audit import AuditEvent
from clinvault.vault.client import RevealRequest

router = APIRouter(prefix="/v1/patients", tags=["patients"])


@router.get("", response_model=PatientsResponse, responses=documented(*DENIALS))
async def patients(caller: Caller, state: State, denials: Denials) -> PatientsResponse:
    if caller.principal.role == Role.AUDITOR:
        raise denials.refuse(
            FORBIDDEN, "role-not-permitted", principal=caller.name, role=caller.role
        )
    services = state.services
    response_id = services.audit.new_response_id()
    listed = await run_in_threadpool(
        listed_patients, services.vault, services.access_store, caller.principal, response_id
    )
    services.audit.append(
        AuditEvent(
            kind="access",
            principal=caller.name,
            role=caller.role,
            outcome="allowed",
            reason="patients-listed",
            response_id=response_id,
        )
    )
    return PatientsResponse(patients=listed, pseudonymous=caller.principal.role != Role.CLINICIAN)


@router.get("/{patient}/resources/{resource_token}", responses=documented(400, *DENIALS, 404, 422))
async def resource(
    patient: Annotated[str, Path(max_length=200)],
    resource_token: Annotated[str, Path(pattern=r"^RES-[0-9A-F]{16}$")],
    caller: Caller,
    state: State,
    denials: Denials,
    purpose: Annotated[str | None, Query(pattern=PURPOSE), optional_string(pattern=PURPOSE)] = None,
    break_glass: BreakGlass = None,
) -> dict[str, Any]:
    """A cited source resource: the original when re-identification is allowed, else the
    pseudonymized form. Authorized (and audited) like a question about the patient."""
    reference = chat_flow.resolve_patient(state, denials, caller, patient)
    vault = state.services.vault
    token = vault.patient_token(reference)
    stated = purpose or caller.default_purpose()
    decision = state.services.access.authorize(
        caller.name, reference, stated, patient_token=token, break_glass_reason=break_glass
    )
    if not decision.allowed:
        state.metrics.denials.labels(decision.reason.value).inc()
        raise ApiError(FORBIDDEN, decision.reason.value)
    record = vault.pseudonymized_record(resource_token)  # nothing real yet: checked first
    if record is None or record.patient_token != token:
        raise ApiError(404, "unknown-resource", "no such resource for this patient")
    access = caller.scopes.access_for(reference, chat_flow.launch_patient(state, caller))
    if not access.allows(record.resource_type):
        raise denials.refuse(
            FORBIDDEN,
            "scope-insufficient",
            principal=caller.name,
            role=caller.role,
            patient_token=token,
        )
    shown = record.resource
    if decision.reidentify:
        if decision.role is None or decision.audit_response_id is None:
            raise ApiError(FORBIDDEN, "reidentify-not-authorized")
        request = RevealRequest(
            decision.audit_response_id,
            caller.name,
            decision.role.value,
            stated,
            decision.break_glass_reason if decision.break_glass else None,
        )
        original = vault.reveal_record(resource_token, request=request)
        if original is None or original.patient_token != token:
            raise ApiError(404, "unknown-resource", "no such resource for this patient")
        shown = original.resource
    return {
        "resource_token": resource_token,
        "resource_type": record.resource_type,
        "pseudonymous": not decision.reidentify,
        "resource": shown,
    }
