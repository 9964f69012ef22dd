"""OpenAI-compatible chat completions: existing chat front ends and the ``openai`` client work
unchanged. ``model`` names a configured route (``clinvault`` means the default); the patient
comes from the ``X-Patient-Id`` header, ``metadata.patient`` or ``user``; the question is the
last user message. Citations come back in the message text (a "Sources" list) and in the
extra ``citations`` field; ``clinvault`` carries the response and conversation ids.

With ``stream`` the answer goes out as ``chat.completion.chunk`` events as the model writes
(re-identified on the way when allowed), then the "Sources" list as one more content piece,
then a last chunk with ``finish_reason: "stop"``, usage and the extras (citations checked on
the whole answer; ``clinvault.answer`` is the checked text), then ``data: [DONE]``. A
failure after the first piece ends the stream with ``data: {"error": {...}}`` (no ``[DONE]``),
which OpenAI clients raise as an API error.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from clinvault.api import chat_flow
from clinvault.api.answer_stream import EventStreamResponse, StreamedAnswer, sse
from clinvault.api.deps import AppState, Caller, Denials, State
from clinvault.api.errors import ApiError, documented
from clinvault.api.routes.chat import DENIALS, BreakGlass
from clinvault.api.schemas import (
    CONVERSATION_ID,
    PURPOSE,
    CitationOut,
    citations_of,
    optional_string,
    sse_events,
)
from clinvault.ask import AskResult
from clinvault.llm.route_plan import route_plan
from clinvault.settings import Settings

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

DEFAULT_MODEL = "clinvault"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    user: str | None = Field(default=None, max_length=200)
    metadata: dict[str, str] | None = None


PatientHeader = Annotated[
    str | None, Header(alias="X-Patient-Id", max_length=200), optional_string(maxLength=200)
]
PurposeHeader = Annotated[
    str | None, Header(alias="X-Purpose-Of-Use", pattern=PURPOSE), optional_string(pattern=PURPOSE)
]
ConversationHeader = Annotated[
    str | None,
    Header(alias="X-Conversation-Id", pattern=CONVERSATION_ID),
    optional_string(pattern=CONVERSATION_ID),
]


@router.get("/models", responses=documented(*DENIALS))
async def models(caller: Caller, state: State) -> dict[str, Any]:
    names = [DEFAULT_MODEL, *served_models(state.services.settings)]
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "clinvault"}
            for name in dict.fromkeys(names)
        ],
    }


@router.post(
    "/chat/completions",
    responses={
        **documented(400, *DENIALS, 404, 413, 422, 502),
        200: {
            "content": sse_events(),
            "description": "a chat.completion, or chat.completion.chunk events when stream "
            "(then data: [DONE])",
        },
    },
)
async def chat_completions(
    body: CompletionRequest,
    caller: Caller,
    state: State,
    denials: Denials,
    x_patient_id: PatientHeader = None,
    x_purpose_of_use: PurposeHeader = None,
    x_conversation_id: ConversationHeader = None,
    break_glass: BreakGlass = None,
) -> Any:
    if body.model != DEFAULT_MODEL and body.model not in served_models(state.services.settings):
        raise ApiError(404, "model_not_found", "unknown model; use 'clinvault'")
    metadata = body.metadata or {}
    patient = x_patient_id or metadata.get("patient") or body.user
    if not patient:
        raise ApiError(400, "patient-required", "name the patient in X-Patient-Id or metadata")
    question = _last_user_text(body.messages)
    target = chat_flow.prepare(
        state,
        denials,
        caller,
        patient=patient,
        purpose=x_purpose_of_use or metadata.get("purpose"),
        conversation_id=x_conversation_id or metadata.get("conversation_id"),
    )
    conversation_id = target.conversation.conversation_id
    if body.stream:
        answer = await chat_flow.ask_stream(
            state, caller, target, question, break_glass_reason=break_glass
        )
        return EventStreamResponse(answer, _chunks(state, answer, body.model, conversation_id))
    result = await chat_flow.ask(state, caller, target, question, break_glass_reason=break_glass)
    return _completion(result, body.model, conversation_id)


def served_models(settings: Settings) -> list[str]:
    """``clinvault`` and the active route (by name and model string): the model the service
    was opened with. Fallbacks are tried by the client, not chosen per request."""
    active = route_plan(settings.llm)[0]
    return list(dict.fromkeys([active.label, active.model]))


def _last_user_text(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message.role != "user":
            continue
        if isinstance(message.content, str):
            text = message.content
        else:
            text = " ".join(
                str(part.get("text", ""))
                for part in message.content or []
                if part.get("type") == "text"
            )
        if text.strip():
            if len(text) > 4000:
                raise ApiError(400, "question-too-long", "the question exceeds 4000 characters")
            return text
    raise ApiError(400, "question-required", "no user message with text")


def with_sources(result: AskResult) -> str:
    return result.answer + sources(result)


def sources(result: AskResult) -> str:
    """The "Sources" list appended to the answer text ("" when nothing is cited)."""
    if not result.citations:
        return ""
    lines = [
        f"[{c.n}] {c.reference} ({c.resource_type}{', ' + c.date if c.date else ''})"
        for c in result.citations
    ]
    return "\n\nSources:\n" + "\n".join(lines)


def _usage(result: AskResult) -> dict[str, int]:
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }


def _extras(result: AskResult, conversation_id: str) -> dict[str, Any]:
    cited: list[CitationOut] = citations_of(result)
    return {
        "citations": [c.model_dump() for c in cited],
        "clinvault": {
            "response_id": result.response_id,
            "conversation_id": conversation_id,
            "pseudonymous": result.pseudonymous,
            "outcome": result.outcome,
            "grounded": result.grounded,
        },
    }


def _completion(result: AskResult, model: str, conversation_id: str) -> dict[str, Any]:
    return {
        "id": result.response_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": with_sources(result)},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(result),
        **_extras(result, conversation_id),
    }


async def _chunks(
    state: AppState, answer: StreamedAnswer, model: str, conversation_id: str
) -> AsyncIterator[str]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> str:
        payload = {
            "id": answer.response_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return sse(payload)

    yield chunk({"role": "assistant", "content": ""}, None)
    try:
        async for piece in answer.pieces():
            yield chunk({"content": piece}, None)
    except Exception as exc:  # noqa: BLE001  (reported to the client as a code; audited by ask)
        yield sse(chat_flow.stream_error(state, exc))
        return
    result = answer.result
    listed = sources(result)
    if listed:
        yield chunk({"content": listed}, None)
    extras = _extras(result, conversation_id)
    extras["clinvault"]["answer"] = result.answer
    yield chunk({}, "stop", usage=_usage(result), **extras)
    yield "data: [DONE]\n\n"
