"""The path every question takes through the API, shared by ``/v1/chat`` and the
OpenAI-compatible endpoint: resolve the patient, check SMART scopes, bind the conversation,
then ask (which authorizes against role, relationship and purpose, and audits).

Each refusal here is audited (``access`` record) before it is raised; refusals inside
:meth:`AskService.ask` are audited by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool

from clinvault.access.refs import patient_reference
from clinvault.api.conversations import Conversation
from clinvault.api.deps import AppState, CallerIdentity, DenialAuditor
from clinvault.api.errors import FORBIDDEN, ApiError
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskResult
from clinvault.ask.service import AskInputError
from clinvault.audit.event import PATIENT_TOKEN
from clinvault.errors import (
    AccessDenied,
    ClinvaultError,
    EgressBlocked,
    InputError,
    LLMError,
    VaultError,
)

INPUT_STATUS = {"unknown-patient": 404}


@dataclass(frozen=True)
class ChatTarget:
    patient_ref: str
    patient_token: str
    access: ResourceAccess
    conversation: Conversation
    purpose: str


def resolve_patient(
    state: AppState, denials: DenialAuditor, caller: CallerIdentity, given: str
) -> str:
    """``Patient/<id>``, ``<id>`` or a patient token (``PT-…``, as researchers see them)."""
    value = given.strip()
    if PATIENT_TOKEN.fullmatch(value):
        try:
            source = state.services.vault.source_patient(value)
        except VaultError:
            source = None
        if source is None:
            raise denials.refuse(
                404,
                "unknown-patient",
                principal=caller.name,
                role=caller.role,
                message="no such patient",
            )
        return source
    try:
        return patient_reference(value)
    except InputError:
        raise denials.refuse(
            400,
            "invalid-patient-reference",
            principal=caller.name,
            role=caller.role,
            message="patient must be Patient/<id>, <id> or a patient token",
        ) from None


def launch_patient(state: AppState, caller: CallerIdentity) -> str | None:
    given = caller.claims.patient
    if given is None:
        return None
    if PATIENT_TOKEN.fullmatch(given):
        try:
            return state.services.vault.source_patient(given)
        except VaultError:
            return None
    try:
        return patient_reference(given)
    except InputError:
        return None


def prepare(
    state: AppState,
    denials: DenialAuditor,
    caller: CallerIdentity,
    *,
    patient: str,
    purpose: str | None,
    conversation_id: str | None,
) -> ChatTarget:
    reference = resolve_patient(state, denials, caller, patient)
    token = state.services.vault.patient_token(reference)
    stated = purpose or caller.default_purpose()
    access = caller.scopes.access_for(reference, launch_patient(state, caller))
    if access.nothing:
        raise denials.refuse(
            FORBIDDEN,
            "scope-insufficient",
            principal=caller.name,
            role=caller.role,
            patient_token=token,
            purpose=stated if stated.isalnum() else None,
            message="the token's SMART scopes grant no readable resource type for this patient",
        )
    try:
        conversation = state.conversations.bind(conversation_id, caller.name, token)
    except ApiError as exc:
        raise denials.refuse(
            exc.status,
            exc.reason,
            principal=caller.name,
            role=caller.role,
            patient_token=token,
            message=exc.message,
        ) from None
    return ChatTarget(reference, token, access, conversation, stated)


async def ask(
    state: AppState,
    caller: CallerIdentity,
    target: ChatTarget,
    question: str,
    *,
    break_glass_reason: str | None,
    stream: bool,
) -> AskResult:
    service = state.services.ask_service(target.access)
    try:
        result = await run_in_threadpool(
            service.ask,
            caller.name,
            target.patient_ref,
            question,
            purpose=target.purpose,
            break_glass_reason=break_glass_reason,
            stream=stream,
        )
    except AccessDenied as exc:
        state.metrics.denials.labels(exc.reason).inc()
        raise ApiError(FORBIDDEN, exc.reason, f"access refused: {exc.reason}") from None
    except AskInputError as exc:
        raise ApiError(INPUT_STATUS.get(exc.reason, 400), exc.reason, str(exc)) from None
    except InputError:
        raise ApiError(400, "invalid-request", "the request cannot be answered as posed") from None
    except EgressBlocked:
        raise ApiError(
            502, "egress-blocked", "the prompt was stopped by the egress guard"
        ) from None
    except LLMError:
        raise ApiError(502, "llm-error", "no model route produced an answer") from None
    except ClinvaultError as exc:
        raise ApiError(500, "internal-error", type(exc).__name__) from None
    state.conversations.record(target.conversation, result.response_id)
    state.metrics.answers.labels(result.outcome).inc()
    return result
