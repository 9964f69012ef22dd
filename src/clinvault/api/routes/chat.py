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
from clinvault.api.schemas import ChatRequest, ChatResponse, chat_response, citations_of
from clinvault.ask import AskResult

router = APIRouter(prefix="/v1", tags=["chat"])

BreakGlass = Annotated[
    str | None,
    Header(
        alias="X-Break-Glass",
        max_length=500,
        description="emergency access reason (clinicians without a relationship); audited",
    ),
]
_PIECES = re.compile(r"\S+\s*|\s+")

DENIALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or invalid bearer token (reason code in error.code)"},
    403: {"description": "refused (reason code in error.code); audited"},
    429: {"description": "rate limit reached"},
}


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        **DENIALS,
        200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream"},
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
        sse_events(result, response),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


def sse_events(result: AskResult, response: ChatResponse) -> Iterator[str]:
    for piece in _PIECES.findall(result.answer):
        yield _event("token", {"text": piece})
    yield _event("citations", [c.model_dump() for c in citations_of(result)])
    final = response.model_dump(exclude={"answer", "citations"})
    yield _event("done", final)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
