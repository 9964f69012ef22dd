"""``POST /v1/chat``: one question about one patient; JSON, or server-sent events.

The stream is ``token`` events (the checked answer, re-identified when allowed), then one
``citations`` event, then ``done`` (ids, outcome). Tokens are released only after the
citation check and re-identification: the raw model stream holds pseudonyms and shifted
dates, and showing a clinician a shifted date would be a clinical error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from clinvault.api import chat_flow
from clinvault.api.deps import Caller, Denials, State
from clinvault.api.errors import documented
from clinvault.api.schemas import (
    ChatRequest,
    ChatResponse,
    chat_response,
    citations_of,
    optional_string,
    sse_events,
)
from clinvault.ask import AskResult

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
_PIECES = re.compile(r"\S+\s*|\s+")

DENIALS = (401, 403, 429)
"""What every authenticated route can answer besides its own errors."""


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        **documented(400, *DENIALS, 404, 413, 422, 502),
        200: {
            "content": sse_events("token", "citations", "done"),
            "description": "the answer as JSON, or server-sent events when stream is true: "
            "token events ({text}), one citations event, then done (ids and outcome)",
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
    result = await chat_flow.ask(
        state, caller, target, body.question, break_glass_reason=break_glass, stream=body.stream
    )
    response = chat_response(result, target.conversation.conversation_id)
    if not body.stream:
        return response
    return StreamingResponse(
        event_stream(result, response),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


def event_stream(result: AskResult, response: ChatResponse) -> Iterator[str]:
    for piece in _PIECES.findall(result.answer):
        yield _event("token", {"text": piece})
    yield _event("citations", [c.model_dump() for c in citations_of(result)])
    final = response.model_dump(exclude={"answer", "citations"})
    yield _event("done", final)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
