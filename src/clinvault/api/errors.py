"""API errors: a status, a stable reason code and a message that never quotes request data.

The body has the OpenAI error shape (``{"error": {"message", "type", "code"}}``) so the
OpenAI-compatible endpoint and the native ones fail alike, and OpenAI clients parse it.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

AUTHENTICATION_FAILED = 401
FORBIDDEN = 403


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str = "") -> None:
        self.status = status
        self.reason = reason
        self.message = message or reason
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


def error_response(status: int, reason: str, message: str = "") -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(
        error_body(status, reason, message or reason), status_code=status, headers=headers
    )


async def api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):
        raise exc
    return error_response(exc.status, exc.reason, exc.message)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Name the fields that are wrong, never their values (they may be PHI)."""
    if not isinstance(exc, RequestValidationError):
        raise exc
    fields = sorted({".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()})
    return error_response(422, "invalid-request", "invalid fields: " + ", ".join(fields))


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    reason = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return error_response(exc.status_code, reason)


async def internal_error_handler(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(500, "internal-error", "internal error (see the server log)")
