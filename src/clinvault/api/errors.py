"""API errors: a status, a stable reason code and a message that never quotes request data.

The body has the OpenAI error shape (``{"error": {"message", "type", "code"}}``) so the
OpenAI-compatible endpoint and the native ones fail alike, and OpenAI clients parse it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

AUTHENTICATION_FAILED = 401
FORBIDDEN = 403

REFUSAL_REASON = "clinvault.refusal_reason"
"""Scope key: the reason code of the error response sent (read by the refusal auditor)."""
REFUSAL_AUDITED = "clinvault.refusal_audited"
"""Scope key: set when the refusal was audited where it was decided (no second record)."""

ERROR_DESCRIPTIONS = {
    400: "the request cannot be processed as posed (body not JSON, patient reference "
    "malformed, patient or question missing); error.code names it",
    401: "missing or invalid bearer token (reason code in error.code); audited",
    403: "refused (reason code in error.code); audited",
    404: "no such patient, resource, conversation or model (error.code names which); audited",
    413: "request body larger than api.max_body_bytes (declared or streamed); audited",
    422: "invalid fields (error.message lists where; values are never quoted), "
    "or a body that is not JSON; audited",
    429: "a rate limit is reached (client address, token, failed authentications or "
    "principal); Retry-After gives the seconds to wait; audited",
    502: "no model route produced an answer, or the egress guard stopped the prompt",
}


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str


class ErrorBody(BaseModel):
    """Every error response (the OpenAI error shape)."""

    error: ErrorDetail


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the errors a route can return, all with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        reason: str,
        message: str = "",
        *,
        headers: dict[str, str] | None = None,
        audited: bool = False,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message or reason
        self.headers = headers
        self.audited = audited
        """Already audited where it was decided (the ask service): no aggregated record."""
        super().__init__(reason)


def error_body(status: int, reason: str, message: str) -> dict[str, dict[str, str]]:
    kind = {
        401: "authentication_error",
        403: "permission_denied",
        404: "not_found",
        413: "request_too_large",
        429: "rate_limit_exceeded",
    }.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "code": reason}}


def error_response(
    status: int, reason: str, message: str = "", *, headers: dict[str, str] | None = None
) -> JSONResponse:
    sent = dict(headers or {})
    if status == 401:
        sent["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return JSONResponse(
        error_body(status, reason, message or reason), status_code=status, headers=sent or None
    )


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):
        raise exc
    request.scope[REFUSAL_REASON] = exc.reason
    if exc.audited:
        request.scope[REFUSAL_AUDITED] = True
    return error_response(exc.status, exc.reason, exc.message, headers=exc.headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Name the fields that are wrong, never their values (they may be PHI)."""
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = exc.errors()
    unparsable = next((e for e in errors if e.get("type") == "json_invalid"), None)
    request.scope[REFUSAL_REASON] = "invalid-body" if unparsable is not None else "invalid-request"
    if unparsable is not None:
        where = unparsable.get("loc", ("body", "?"))[-1]
        return error_response(
            422, "invalid-body", f"the request body is not valid JSON (at character {where})"
        )
    fields = sorted({".".join(str(p) for p in err.get("loc", ())) for err in errors})
    return error_response(422, "invalid-request", "invalid fields: " + ", ".join(fields))


HTTP_ERRORS = {
    # FastAPI raises 400 when the body cannot be decoded as JSON at all.
    400: ("invalid-body", "the request body is not valid JSON (not UTF-8 text)"),
    404: ("not-found", "no such path"),
    405: ("method-not-allowed", "method not allowed on this path"),
}


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    reason, message = HTTP_ERRORS.get(exc.status_code, ("http-error", "the request failed"))
    request.scope[REFUSAL_REASON] = reason
    return error_response(exc.status_code, reason, message)


async def internal_error_handler(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(500, "internal-error", "internal error (see the server log)")
