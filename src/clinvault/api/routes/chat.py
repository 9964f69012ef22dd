"""``POST /v1/chat``: one question about one patient; JSON, or server-sent events.

The stream is ``token`` events as the model writes (re-identified on the way for principals
allowed to see real values, holding back only a token or date split across the model's
pieces; pseudonymous for everyone else), then one ``citations`` event (checked on the whole
answer: only retrieved resources), then ``done`` with the ids, the outcome and the checked
``answer`` (out-of-range ``[n]`` markers removed: clients show it in place of the streamed
text). A failure after the first token ends the stream with one ``error`` event
(``{"error": {"code", "message", "type"}}``) instead of ``done``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header

from clinvault.api import chat_flow
from clinvault.api.answer_stream import EventStreamResponse, StreamedAnswer, sse
from clinvault.api.deps import AppState, Caller, Denials, State
from clinvault.api.errors import documented
from clinvault.api.schemas import (
    ChatRequest,
    ChatResponse,
    chat_response,
    citations_of,
    optional_string,
    sse_events,
)

router = APIRouter(prefix="/v1", tags=["chat"])

BreakGlass = Annotated[
    str | None,
    Header(
        alias="X-Break-Glass",
        max_length=500,
        description="emergency access reason (clinicians without a relationship); audited",
    ),
    optional_string(maxLength=500),
]

DENIALS = (401, 403, 429)
"""What every authenticated route can answer besides its own errors."""


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        **documented(400, *DENIALS, 404, 413, 422, 502),
        200: {
            "content": sse_events("token", "citations", "done", "error"),
            "description": "the answer as JSON, or server-sent events when stream is true: "
            "token events ({text}) as the model writes, one citations event, then done (ids, "
            "outcome, the checked answer); a failure after the first token sends one error "
            "event instead",
        },
    },
)
async def chat(
    body: ChatRequest,
    caller: Caller,
    state: State,
    denials: Denials,
    break_glass: BreakGlass = None,
) -> Any:
    target = chat_flow.prepare(
        state,
        denials,
        caller,
        patient=body.patient,
        purpose=body.purpose,
        conversation_id=body.conversation_id,
    )
    if not body.stream:
        result = await chat_flow.ask(
            state, caller, target, body.question, break_glass_reason=break_glass
        )
        return chat_response(result, target.conversation.conversation_id)
    answer = await chat_flow.ask_stream(
        state, caller, target, body.question, break_glass_reason=break_glass
    )
    return EventStreamResponse(
        answer, event_stream(state, answer, target.conversation.conversation_id)
    )


async def event_stream(
    state: AppState, answer: StreamedAnswer, conversation_id: str
) -> AsyncIterator[str]:
    try:
        async for piece in answer.pieces():
            yield sse({"text": piece}, "token")
    except Exception as exc:  # noqa: BLE001  (reported to the client as a code; audited by ask)
        yield sse(chat_flow.stream_error(state, exc), "error")
        return
    result = answer.result
    yield sse([c.model_dump() for c in citations_of(result)], "citations")
    response = chat_response(result, conversation_id)
    yield sse(response.model_dump(exclude={"citations"}), "done")
