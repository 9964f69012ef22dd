"""The vault service's HTTP app: a narrow JSON API mirroring ``VaultClient``.

Routes (all behind mutual TLS; the caller is the client certificate's common name):

- ``POST /v1/call/{method}``: one ``VaultClient`` method (:data:`wire.CLIENT_METHODS`),
  keyword arguments as the JSON body ``{"args": {...}}``, answer ``{"result": ...}``.
- ``POST /v1/tx/begin`` / ``/v1/tx/{id}/commit`` / ``/v1/tx/{id}/abort``: a server-side
  transaction spanning several calls (calls inside it carry ``X-Vault-Transaction``).
- ``POST /v1/session`` and ``POST /v1/session/{id}/{method}``: an ingest
  ``PatientSession`` held by the service, inside a transaction.
- ``GET /healthz``, ``/readyz``, ``/metrics``.

The vault is one SQL store with one connection slot per transaction, so the service runs
one unit of work at a time: a plain call or a whole transaction holds :attr:`ServiceState.lock`.
A transaction idle longer than ``transaction_idle_s`` is rolled back by the next caller
that waits for the lock, so a client that died mid-ingest cannot wedge the vault.

Unknown callers get 403 and an audit record (``access``/``refused``/``unknown-caller``);
calls that hand out real patient data (:data:`wire.REVEALING`) are served only to the
callers in :attr:`ServiceState.reveal_to` (ingest, which reads raw records anyway), audited
in the vault's own chain with the calling service's identity; any other caller gets 403 and
an audit record (``plain-reveal-refused``). The API re-identifies an answer for a person
through ``reveal``, which :class:`clinvault.vault_service.checks.RevealGate` authorizes
against the access store and Consent and audits itself; it reads consent denials and has
its prompts screened through ``consent_denials`` and ``screen_prompt``
(:data:`wire.SERVICE_METHODS`), which hand out no real value. Logs name the caller, the
method, the status and the time taken: never arguments or answers.
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from clinvault.audit import AuditEvent, AuditLog
from clinvault.errors import ClinvaultError, VaultError
from clinvault.vault import Vault
from clinvault.vault.client import PatientSession, VaultClient
from clinvault.vault.patient import PatientContext
from clinvault.vault_service import wire
from clinvault.vault_service.checks import (
    RevealGate,
    consent_denials,
    screen_prompt,
)

log = logging.getLogger("clinvault.vault_service")

CALLER_SCOPE_KEY = "clinvault.caller"
"""Where the TLS layer puts the verified client certificate's common name in the ASGI scope."""


@dataclass
class RateLimiter:
    """A token bucket per caller: ``rate`` calls per second, bursts up to ``burst``."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, caller: str) -> bool:
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[caller] = (tokens, now)
                return False
            self._buckets[caller] = (tokens - 1, now)
            return True


@dataclass
class Transaction:
    caller: str
    stack: ExitStack
    sessions: dict[str, PatientContext] = field(default_factory=dict)
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class ServiceState:
    """Everything the app works with; built by :func:`create_app`, never at import."""

    vault: Vault
    audit: AuditLog | None
    callers: frozenset[str]
    limiter: RateLimiter
    gate: RevealGate | None = None
    """Authorizes ``reveal``; without one, every ``reveal`` is refused."""
    reveal_to: frozenset[str] = frozenset({"ingest"})
    """Callers served the plain revealing calls (:data:`wire.REVEALING`)."""
    max_body_bytes: int = 4 * 1024 * 1024
    lock_wait_s: float = 30.0
    transaction_idle_s: float = 60.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    calls: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _metrics_lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, caller: str, route: str, status: int) -> None:
        with self._metrics_lock:
            key = (caller, route, status)
            self.calls[key] = self.calls.get(key, 0) + 1

    # -- the one unit of work at a time ----------------------------------------------------

    def acquire(self) -> None:
        deadline = time.monotonic() + self.lock_wait_s
        while not self.lock.acquire(timeout=0.25):
            self.reap_idle()
            if time.monotonic() > deadline:
                raise _Busy()

    def reap_idle(self) -> None:
        now = time.monotonic()
        for tx_id, tx in list(self.transactions.items()):
            if now - tx.last_used > self.transaction_idle_s and tx.lock.acquire(blocking=False):
                try:
                    if self.transactions.pop(tx_id, None) is tx:
                        log.warning("vault transaction of %s idle: rolled back", tx.caller)
                        self._end(tx, commit=False)
                finally:
                    tx.lock.release()

    def begin(self, caller: str) -> str:
        self.acquire()
        try:
            stack = ExitStack()
            stack.enter_context(self.vault.transaction())
        except BaseException:
            self.lock.release()
            raise
        tx_id = secrets.token_hex(16)
        self.transactions[tx_id] = Transaction(caller=caller, stack=stack)
        return tx_id

    def end(self, caller: str, tx_id: str, *, commit: bool) -> None:
        tx = self.transaction(caller, tx_id)
        with tx.lock:
            if self.transactions.pop(tx_id, None) is not tx:
                raise VaultError("the vault transaction is not open")
            self._end(tx, commit=commit)

    def _end(self, tx: Transaction, *, commit: bool) -> None:
        try:
            if commit:
                tx.stack.close()
            else:
                tx.stack.__exit__(_Aborted, _Aborted(), None)
        finally:
            self.lock.release()

    def transaction(self, caller: str, tx_id: str) -> Transaction:
        tx = self.transactions.get(tx_id)
        if tx is None or tx.caller != caller:
            raise VaultError("the vault transaction is not open (rolled back or ended)")
        return tx

    def run(self, caller: str, tx_id: str | None, work: Callable[[Transaction | None], Any]) -> Any:
        """Run ``work`` inside the caller's open transaction, or alone under the lock."""
        if tx_id:
            tx = self.transaction(caller, tx_id)
            with tx.lock:
                tx.last_used = time.monotonic()
                try:
                    return work(tx)
                finally:
                    tx.last_used = time.monotonic()
        self.acquire()
        try:
            return work(None)
        finally:
            self.lock.release()


class _Forbidden(Exception):
    """The caller may not make this call (the message says why; no PHI)."""


class _Busy(Exception):
    """The vault stayed busy with another unit of work past ``lock_wait_s``."""


class _Aborted(Exception):
    """Passed into a transaction's context managers to roll it back."""


def _audit(state: ServiceState, event: AuditEvent) -> None:
    if state.audit is not None:
        state.audit.append(event)


def _invoke(protocol: type, target: object, method: str, args: dict[str, Any]) -> Any:
    """Call ``target.method`` with ``args`` named as in the protocol's signature (the
    implementation may name its parameters differently); unknown or missing arguments are a
    ``TypeError``."""
    spec = getattr(protocol, method, None) or getattr(type(target), method)
    bound = inspect.signature(spec).bind(None, **args)
    result = getattr(target, method)(*bound.args[1:], **bound.kwargs)
    return wire.encode(wire.RETURNS.get(method, "plain"), result)


def _call_client(vault: VaultClient, method: str, args: dict[str, Any]) -> Any:
    return _invoke(VaultClient, vault, method, args)


def _call_session(session: PatientContext, method: str, args: dict[str, Any]) -> Any:
    if method == "seal" and "chunk_ids" in args:
        args = {**args, "chunk_ids": tuple(str(c) for c in args["chunk_ids"])}
    return _invoke(PatientSession, session, method, args)


def create_app(state: ServiceState) -> FastAPI:
    """The vault service over ``state`` (which the caller closes)."""
    app = FastAPI(title="clinvault vault service", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.vault_service = state

    async def body_of(request: Request) -> dict[str, Any] | Response:
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > state.max_body_bytes:
            return _error(413, "request body too large")
        data = bytearray()
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > state.max_body_bytes:
                return _error(413, "request body too large")
        if not data:
            return {}
        try:
            parsed = json.loads(bytes(data))
        except ValueError:
            return _error(400, "request body is not JSON")
        if not isinstance(parsed, dict):
            return _error(400, "request body must be a JSON object")
        return parsed

    def caller_of(request: Request) -> str | Response:
        caller = request.scope.get(CALLER_SCOPE_KEY)
        client = request.client.host if request.client else None
        if not isinstance(caller, str) or caller not in state.callers:
            shown = caller if isinstance(caller, str) and caller.isprintable() else "anonymous"
            log.warning("vault service refused caller %r", shown[:64])
            _audit(
                state,
                AuditEvent(
                    kind="access",
                    principal=shown[:256] or "anonymous",
                    outcome="refused",
                    reason="unknown-caller",
                    role="service",
                    client=client,
                ),
            )
            return _error(403, "unknown caller: this client certificate is not allowed")
        if not state.limiter.allow(caller):
            return _error(429, "rate limit exceeded for this caller")
        return caller

    async def serve(
        request: Request, route: str, work: Callable[[str, dict[str, Any]], Any]
    ) -> Response:
        started = time.perf_counter()
        caller = caller_of(request)
        if isinstance(caller, Response):
            state.count("unknown", route, caller.status_code)
            return caller
        body = await body_of(request)
        if isinstance(body, Response):
            response = body
        else:
            try:
                result = await run_in_threadpool(work, caller, body)
                response = JSONResponse({"result": result})
            except _Busy:
                response = _error(503, "the vault is busy; retry")
            except _Forbidden as forbidden:
                response = _error(403, str(forbidden))
            except ClinvaultError as error:
                response = JSONResponse(wire.error_body(error), status_code=400)
            except (TypeError, KeyError, ValueError) as error:
                log.warning("vault service: bad arguments to %s (%s)", route, type(error).__name__)
                response = _error(400, f"bad arguments to {route}")
        state.count(caller, route, response.status_code)
        log.info(
            "vault %s %s %d %.1fms",
            caller,
            route,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def args_of(body: dict[str, Any]) -> dict[str, Any]:
        args = body.get("args", {})
        if not isinstance(args, dict):
            raise TypeError("args must be an object")
        return args

    def refuse_plain_reveal(caller: str, method: str, args: dict[str, Any]) -> None:
        patient = args.get("patient_token")
        _audit(
            state,
            AuditEvent(
                kind="access",
                principal=caller,
                outcome="refused",
                reason="plain-reveal-refused",
                role="service",
                patient=patient if isinstance(patient, str) and _is_token(patient) else None,
            ),
        )
        raise _Forbidden(
            f"{method}: this caller may not read patient data without a person's "
            "authorization (re-identify through reveal)"
        )

    def gated(caller: str, method: str, args: dict[str, Any]) -> Any:
        patient = str(args.get("patient_token"))
        if method == "consent_denials":
            return state.run(caller, None, lambda _tx: consent_denials(state.vault, patient))
        if method == "screen_prompt":
            messages = args["messages"]
            return state.run(
                caller, None, lambda _tx: screen_prompt(state.vault, patient, messages)
            )
        asked = wire.reveal_request(args["request"])
        gate = state.gate
        if method == "reveal_record":
            resource = str(args["resource_token"])

            def record(_tx: Transaction | None) -> Any:
                found = state.vault.source_record(resource)
                if found is None:
                    return None
                if gate is None:
                    raise _Forbidden("this vault service cannot authorize re-identification")
                gate.authorize(caller, found.patient_token, asked)
                return wire.encode("source_record", found)

            return state.run(caller, None, record)
        texts = args["texts"]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of strings")

        def revealed(_tx: Transaction | None) -> dict[str, Any]:
            if gate is None:
                raise _Forbidden("this vault service cannot authorize re-identification")
            ref = gate.authorize(caller, patient, asked)
            return {"texts": [state.vault.reidentify(patient, t) for t in texts], "audit_ref": ref}

        return state.run(caller, None, revealed)

    @app.post("/v1/call/{method}")
    async def call(method: str, request: Request) -> Response:
        if method not in wire.CLIENT_METHODS and method not in wire.SERVICE_METHODS:
            return _error(404, "no such vault method")
        tx_id = request.headers.get(wire.TRANSACTION_HEADER)

        def work(caller: str, body: dict[str, Any]) -> Any:
            args = args_of(body)
            if method in wire.SERVICE_METHODS:
                return gated(caller, method, args)
            if method in wire.REVEALING and caller not in state.reveal_to:
                refuse_plain_reveal(caller, method, args)
            result = state.run(caller, tx_id, lambda _tx: _call_client(state.vault, method, args))
            if method in wire.REVEALING:
                patient = args.get("patient_token")
                if method == "source_record" and result is not None:
                    patient = result["patient_token"]
                _audit(
                    state,
                    AuditEvent(
                        kind="access",
                        principal=caller,
                        outcome="allowed",
                        reason=f"vault-{method.replace('_', '-')}",
                        role="service",
                        patient=patient if isinstance(patient, str) else None,
                    ),
                )
            return result

        return await serve(request, method, work)

    @app.post("/v1/tx/begin")
    async def begin(request: Request) -> Response:
        return await serve(request, "tx-begin", lambda caller, _body: state.begin(caller))

    @app.post("/v1/tx/{tx_id}/{action}")
    async def end(tx_id: str, action: str, request: Request) -> Response:
        if action not in ("commit", "abort"):
            return _error(404, "no such transaction action")

        def work(caller: str, _body: dict[str, Any]) -> None:
            state.end(caller, tx_id, commit=action == "commit")

        return await serve(request, f"tx-{action}", work)

    @app.post("/v1/session")
    async def open_session(request: Request) -> Response:
        tx_id = request.headers.get(wire.TRANSACTION_HEADER)
        if not tx_id:
            return _error(400, "a patient session needs an open vault transaction")

        def work(caller: str, body: dict[str, Any]) -> dict[str, str]:
            args = args_of(body)
            scope = str(args["scope"])
            references = {str(k): str(v) for k, v in dict(args.get("references") or {}).items()}

            def opened(tx: Transaction | None) -> dict[str, str]:
                assert tx is not None
                session = state.vault.patient_session(scope, references=references)
                session_id = secrets.token_hex(16)
                tx.sessions[session_id] = session
                return {"session": session_id, "patient_token": session.patient_token}

            result: dict[str, str] = state.run(caller, tx_id, opened)
            return result

        return await serve(request, "session-open", work)

    @app.post("/v1/session/{session_id}/{method}")
    async def session_call(session_id: str, method: str, request: Request) -> Response:
        if method not in wire.SESSION_METHODS:
            return _error(404, "no such session method")
        tx_id = request.headers.get(wire.TRANSACTION_HEADER)
        if not tx_id:
            return _error(400, "a patient session needs an open vault transaction")

        def work(caller: str, body: dict[str, Any]) -> Any:
            args = args_of(body)

            def called(tx: Transaction | None) -> Any:
                session = tx.sessions.get(session_id) if tx is not None else None
                if session is None:
                    raise VaultError("the patient session is not open in this transaction")
                return _call_session(session, method, args)

            return state.run(caller, tx_id, called)

        return await serve(request, f"session-{method}", work)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> Response:
        return await serve(request, "readyz", lambda _c, _b: state.run(_c, None, _ready))

    def _ready(_tx: Transaction | None) -> str:
        state.vault.counts()
        return "ready"

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        lines = [
            "# HELP clinvault_vault_calls_total Vault service calls by caller, route, status.",
            "# TYPE clinvault_vault_calls_total counter",
        ]
        for (caller, route, status), n in sorted(state.calls.items()):
            lines.append(
                f'clinvault_vault_calls_total{{caller="{caller}",route="{route}",'
                f'status="{status}"}} {n}'
            )
        lines.append(f"clinvault_vault_open_transactions {len(state.transactions)}")
        return PlainTextResponse("\n".join(lines) + "\n")

    return app


def _is_token(value: str) -> bool:
    return value.startswith("PT-") and len(value) == 19 and value[3:].isalnum()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": "VaultError", "message": message}}, status_code=status)
