"""The path every question takes through the API, shared by ``/v1/chat`` and the
OpenAI-compatible endpoint: resolve the patient, check SMART scopes, bind the conversation,
then ask (which authorizes against role, relationship and purpose, and audits): the whole
answer (:func:`ask`) or the answer as the model writes it (:func:`ask_stream`).

Each refusal here is audited (``access`` record) before it is raised; refusals inside
:meth:`AskService.ask` are audited by it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool

from clinvault.access.refs import patient_reference
from clinvault.api.answer_stream import StreamedAnswer, next_piece
from clinvault.api.conversations import Conversation
from clinvault.api.deps import AppState, CallerIdentity, DenialAuditor
from clinvault.api.errors import FORBIDDEN, ApiError, error_body
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskResult
from clinvault.ask.outcomes import failure_of
from clinvault.ask.result import AskStream
from clinvault.audit.event import PATIENT_TOKEN
from clinvault.errors import (
    AccessDenied,
    ClinvaultError,
    InputError,
    VaultError,
)

log = logging.getLogger(__name__)


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
) -> AskResult:
    """The whole answer at once (JSON responses)."""
    service = state.services.ask_service(target.access)
    try:
        result = await run_in_threadpool(
            service.ask,
            caller.name,
            target.patient_ref,
            question,
            purpose=target.purpose,
            break_glass_reason=break_glass_reason,
        )
    except ClinvaultError as exc:
        raise api_error(state, exc) from None
    _answered(state, target, result)
    return result


async def ask_stream(
    state: AppState,
    caller: CallerIdentity,
    target: ChatTarget,
    question: str,
    *,
    break_glass_reason: str | None,
) -> StreamedAnswer:
    """The answer as the model writes it. Refusals, the egress guard and a model that fails
    before its first piece raise ``ApiError`` here, while an HTTP status can still say so;
    later failures come out of :meth:`StreamedAnswer.pieces` (see :func:`stream_error`)."""
    service = state.services.ask_service(target.access)

    def start() -> tuple[AskStream, str | None]:
        stream = service.ask_stream(
            caller.name,
            target.patient_ref,
            question,
            purpose=target.purpose,
            break_glass_reason=break_glass_reason,
        )
        return stream, next_piece(stream)

    try:
        stream, first = await run_in_threadpool(start)
    except ClinvaultError as exc:
        raise api_error(state, exc) from None
    return StreamedAnswer(
        stream,
        first,
        on_result=lambda result: _answered(state, target, result),
        on_abort=lambda: state.metrics.answers.labels("aborted").inc(),
    )


def _answered(state: AppState, target: ChatTarget, result: AskResult) -> None:
    state.conversations.record(target.conversation, result.response_id)
    state.metrics.answers.labels(result.outcome).inc()


def api_error(state: AppState, exc: BaseException) -> ApiError:
    """The HTTP error for a failed ask (status, code and message from the one outcome map,
    :func:`clinvault.ask.outcomes.failure_of`; never exception text). The ask service audited
    the failure already, so the refusal middleware adds no second record."""
    failure = failure_of(exc)
    if isinstance(exc, AccessDenied):
        state.metrics.denials.labels(exc.reason).inc()
    return ApiError(failure.http_status, failure.reason, failure.message, audited=True)


def stream_error(state: AppState, exc: Exception) -> dict[str, dict[str, str]]:
    """The error body sent as the last event when an answer fails after its first piece
    (the status line has gone out: the error travels in the stream)."""
    if not isinstance(exc, ClinvaultError):
        log.error("answer stream failed: %s", type(exc).__name__)
    error = api_error(state, exc)
    return error_body(error.status, error.reason, error.message)
