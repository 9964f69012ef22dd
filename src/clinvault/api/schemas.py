"""Request and response bodies of the native API (``/v1/...``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from clinvault.ask import AskResult

CONVERSATION_ID = r"^CNV-[0-9A-F]{32}$"
PURPOSE = r"^[A-Z]{1,16}$"


def optional_string(**keywords: object) -> WithJsonSchema:
    """The documented schema of an optional header or query parameter: a string when present.
    (FastAPI would document ``anyOf: [string, null]``, and clients would send "null".)"""
    return WithJsonSchema({"type": "string", **keywords})


def sse_events(*names: str) -> dict[str, Any]:
    """The OpenAPI ``text/event-stream`` content of a streamed 200: the schema of one event
    (OpenAPI 3.1 reading), whose ``data`` is a JSON document."""
    event: dict[str, Any] = {"type": "string"}
    if names:
        event["enum"] = list(names)
    return {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "required": ["data", "event"] if names else ["data"],
                "properties": {
                    "event": event,
                    "data": {"type": "string", "contentMediaType": "application/json"},
                },
            }
        }
    }


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=1, max_length=200, description="Patient/<id>, <id> or PT-…")
    question: str = Field(min_length=1, max_length=4000)
    conversation_id: str | None = Field(default=None, pattern=CONVERSATION_ID)
    purpose: str | None = Field(
        default=None,
        pattern=PURPOSE,
        description="TREAT, ETREAT, HOPERAT or HRESCH; default TREAT (HRESCH for researchers)",
    )
    stream: bool = False


class CitationOut(BaseModel):
    n: int
    reference: str = Field(description="Type/id when re-identified, else the resource token")
    resource_token: str
    resource_type: str
    date: str | None
    chunk_id: str


class ChatResponse(BaseModel):
    response_id: str
    conversation_id: str
    answer: str
    citations: list[CitationOut]
    pseudonymous: bool
    outcome: str
    grounded: bool
    model: str
    provider: str
    intent: str
    uncited_statements: list[str]
    latency_ms: dict[str, float]


def citations_of(result: AskResult) -> list[CitationOut]:
    return [
        CitationOut(
            n=c.n,
            reference=c.reference,
            resource_token=c.resource_token,
            resource_type=c.resource_type,
            date=c.date,
            chunk_id=c.chunk_id,
        )
        for c in result.citations
    ]


def chat_response(result: AskResult, conversation_id: str) -> ChatResponse:
    return ChatResponse(
        response_id=result.response_id,
        conversation_id=conversation_id,
        answer=result.answer,
        citations=citations_of(result),
        pseudonymous=result.pseudonymous,
        outcome=result.outcome,
        grounded=result.grounded,
        model=result.model,
        provider=result.provider,
        intent=result.intent,
        uncited_statements=result.uncited_statements,
        latency_ms=result.latency_ms,
    )


class PatientOut(BaseModel):
    patient_token: str
    reference: str | None = Field(description="Patient/<id>; only for re-identifying principals")
    name: str | None = Field(description="only for principals allowed to see it")
    birth_date: str | None = None
    relationship: str | None = Field(description="grant, care-team; none for researchers")


class PatientsResponse(BaseModel):
    patients: list[PatientOut]
    pseudonymous: bool


class Readiness(BaseModel):
    status: Literal["ready", "not-ready"]
    checks: dict[str, str] = Field(description="per dependency: ok, or failed: <error type>")


class ResponseTrace(BaseModel):
    response_id: str
    time: str
    principal: str
    role: str | None
    purpose: str | None
    patient_token: str | None
    question: str | None = Field(description="auditors only (the reveal is itself audited)")
    model: str | None
    route: str | None
    outcome: str
    reason: str
    retrieved: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    break_glass: bool
    prompt_sha256: str | None
    output_sha256: str | None
    latency_ms: float | None
