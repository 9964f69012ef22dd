"""Pure ASGI middleware, outermost first:

* :class:`AccessLog`: one structured, PHI-free access line per request (``clinvault.access``
  logger): method, route template, status, duration, request id, client address. Never the
  concrete path or the query string (they carry patient ids); the id is also sent back as
  ``X-Request-Id``.
* :class:`RequestMetrics`: Prometheus counts and latency by route template.
* :class:`SecurityHeaders`: on every response, refusals included.
* :class:`RefusalAudit`: audits 400/401/404/405/413/422/429 answers and overload 503s that
  were not audited where they were decided, in aggregate (:mod:`clinvault.api.refusals`).
* :class:`~clinvault.api.overload.Overload`: at most ``api.max_in_flight`` requests at once;
  the excess waits briefly, then gets 503 with ``Retry-After``.
* :class:`BodySizeLimit`: counts the bytes actually received (not just ``Content-Length``),
  so an oversized chunked upload is a 413 as well.
* :class:`PreAuthRateLimit`: limits per client address and token fingerprint, before any
  token is verified (:class:`clinvault.api.ratelimit.PreAuthLimits`).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinvault.api.deps import CALLER, UNAUTHENTICATED, AppState, client_address
from clinvault.api.errors import REFUSAL_AUDITED, REFUSAL_REASON, error_response
from clinvault.api.logging import ACCESS_LOGGER
from clinvault.api.metrics import ApiMetrics
from clinvault.api.overload import OVERLOADED, Overload
from clinvault.audit import AuditEvent

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})
"""Orchestrator probes: no data, no authentication, never rate-limited."""
AUDITED_STATUSES = frozenset({400, 401, 404, 405, 413, 422, 429})
"""403s are audited where the access decision is taken (with the patient and purpose)."""
_REASON = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
)


def route_template(scope: Scope) -> str:
    """The matched route's template (``/v1/patients/{patient}/...``), never the concrete path."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    mounted = scope.get("app_root_path") or ""
    root = scope.get("root_path") or ""
    if scope.get("endpoint") is not None and isinstance(root, str) and root != mounted:
        return f"{root}/{{path}}"  # a mount (static files): its prefix only
    return "unmatched"


class _Status:
    """Watches the status a response starts with."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        started = time.perf_counter()

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        watched = _Status(with_id)
        try:
            await self.app(scope, receive, watched)
        finally:
            method = scope.get("method", "")
            line = {
                "event": "http-access",
                "method": method if method in METHODS else "OTHER",
                "route": route_template(scope),
                "status": watched.status or 500,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "request_id": request_id,
                "client": client_address(scope),
            }
            self.logger.info(json.dumps(line, separators=(",", ":")))


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        watched = _Status(send)
        try:
            await self.app(scope, receive, watched)
        finally:
            label = route_template(scope)
            status = str(watched.status or 500)
            self.metrics.requests.labels(label, scope["method"], status).inc()
            self.metrics.latency.labels(label).observe(time.perf_counter() - started)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class RefusalAudit:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusals = self.state.refusals
        if refusals.due():
            await run_in_threadpool(refusals.flush_due)
        watched = _Status(send)
        await self.app(scope, receive, watched)
        status = watched.status
        if status is None or scope.get(REFUSAL_AUDITED):
            return
        shed = status == 503 and scope.get(REFUSAL_REASON) == OVERLOADED
        if status in AUDITED_STATUSES or shed:
            await run_in_threadpool(refusals.refuse, refusal_event(scope, status))
            self.state.metrics.denials.labels(_reason(scope, status)).inc()


def refusal_event(scope: Scope, status: int) -> AuditEvent:
    caller = scope.get(CALLER)
    principal, role = caller if caller else (UNAUTHENTICATED, None)
    return AuditEvent(
        kind="access",
        principal=principal,
        role=role,
        outcome="refused",
        reason=_reason(scope, status),
        client=client_address(scope),
    )


def _reason(scope: Scope, status: int) -> str:
    given = str(scope.get(REFUSAL_REASON) or f"http-{status}").replace("_", "-").lower()
    return given if _REASON.fullmatch(given) else f"http-{status}"


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        received = 0
        exceeded = False
        started = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the rest of the app's answer to a body it could not read
            if message["type"] == "http.response.start":
                if exceeded:
                    # FastAPI turns the failed body read into a 400: answer 413 instead.
                    replaced = True
                    await self._refuse(scope, receive, send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if started:
                raise
            if not replaced:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[REFUSAL_REASON] = "request-too-large"
        message = f"the request body exceeds {self.max_bytes} bytes"
        await error_response(413, "request-too-large", message)(scope, receive, send)


class PreAuthRateLimit:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        limits = self.state.preauth
        client = client_address(scope)
        reason = await run_in_threadpool(limits.refusal, client, _bearer(scope))
        if reason is not None:
            scope[REFUSAL_REASON] = reason
            headers = {"Retry-After": str(limits.retry_after_s())}
            message = "too many requests; retry after the number of seconds in Retry-After"
            await error_response(429, reason, message, headers=headers)(scope, receive, send)
            return
        watched = _Status(send)
        await self.app(scope, receive, watched)
        if watched.status == 401:
            await run_in_threadpool(limits.failed, client)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


def install_middleware(app: FastAPI, state: AppState) -> None:
    """Add the stack above (innermost first: Starlette runs the last added outermost)."""
    api = state.api
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Break-Glass",
                "X-Patient-Id",
                "X-Purpose-Of-Use",
                "X-Conversation-Id",
            ],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(PreAuthRateLimit, state=state)
    app.add_middleware(BodySizeLimit, max_bytes=api.max_body_bytes)
    app.add_middleware(Overload, settings=api)
    app.add_middleware(RefusalAudit, state=state)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    app.add_middleware(AccessLog)
