"""Bounded concurrency: under overload the API sheds load with a clean 503 and Retry-After.

:class:`Overload` (pure ASGI, installed by :func:`clinvault.api.middleware.install_middleware`
inside the refusal audit) lets at most ``api.max_in_flight`` requests run at once. Further
requests wait for a slot, at most ``api.overload_queue`` of them and each at most
``api.overload_wait_s``; a request that finds the queue full, or waits in vain, is answered
``503 overloaded`` with ``Retry-After: api.overload_retry_after_s`` before anything of it is
read, authenticated or run. So a burst of hundreds of conversations gets answers or clean
refusals, never a 500 from a starved thread pool or a timed-out database lock, and every
admitted request still completes its own audit record before it answers (the ask service
appends before it returns; :mod:`clinvault.audit.group_commit`). A shed request touched no
patient data; it is audited in aggregate by the refusal audit (principal
``unauthenticated``, reason ``overloaded``) and counted by the request metrics (status 503).

Health probes (``/healthz``, ``/readyz``) are never held back. The limit is per process: with
several uvicorn workers the deployment's capacity is workers x ``max_in_flight``.
State (the slot counter and the waiting count) lives on the middleware instance.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from clinvault.api.errors import REFUSAL_REASON, error_response
from clinvault.settings import ApiSettings

OVERLOADED = "overloaded"
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


class Overload:
    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.limit = settings.max_in_flight
        self.queue = settings.overload_queue
        self.wait_s = settings.overload_wait_s
        self.retry_after_s = settings.overload_retry_after_s
        self._slots = asyncio.Semaphore(settings.max_in_flight)
        self.in_flight = 0
        self.waiting = 0
        self.shed = 0
        """Requests answered 503 so far."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            await self._refuse(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._slots.release()

    async def _admit(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: returns at once
            return True
        if self.waiting >= self.queue or self.wait_s <= 0:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1
        return True

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.shed += 1
        scope[REFUSAL_REASON] = OVERLOADED
        headers = {"Retry-After": str(self.retry_after_s)}
        message = "the service is overloaded; retry after the number of seconds in Retry-After"
        await error_response(503, OVERLOADED, message, headers=headers)(scope, receive, send)
