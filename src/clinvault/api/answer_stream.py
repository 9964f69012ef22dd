"""Relaying a streamed answer to an HTTP client as server-sent events, as the model writes it.

:class:`StreamedAnswer` reads an :class:`~clinvault.ask.AskStream` (blocking: model I/O,
re-identification) from async code, one piece per worker-thread call, so the event loop
never waits on the model. :class:`EventStreamResponse` sends the events and, however the
response ends (finished, client gone, server shutting down), closes the answer: a stream
not read to its end is audited once as ``aborted`` and the model connection is hung up.

Only what the ask service hands out is sent: re-identified pieces for principals allowed
to see real values, the model's pseudonymous pieces otherwise; errors after the first
piece become one error event with a stable code, never exception text.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from anyio.to_thread import run_sync
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from clinvault.ask import AskResult
from clinvault.ask.result import AskStream

RESPONSE_ID_HEADER = "X-Response-Id"
"""The answer's audit id, sent before the first token (also in the last event)."""


def next_piece(stream: AskStream) -> str | None:
    """The next non-empty piece, or ``None`` once the answer has ended (``result`` is set)."""
    for piece in stream:
        if piece:
            return piece
    return None


class StreamedAnswer:
    """An answer being streamed to one client. ``first`` is the piece already read while the
    request could still fail with an HTTP status (``None``: the answer ended before it)."""

    def __init__(
        self,
        stream: AskStream,
        first: str | None,
        *,
        on_result: Callable[[AskResult], None],
        on_abort: Callable[[], None],
    ) -> None:
        self._stream = stream
        self._first = first
        self._on_result = on_result
        self._on_abort = on_abort
        self._ended = first is None and stream.result is not None
        self._closed = False

    @property
    def response_id(self) -> str:
        return self._stream.response_id

    @property
    def result(self) -> AskResult:
        """The checked answer; only once :meth:`pieces` is exhausted."""
        if self._stream.result is None:
            raise RuntimeError("the answer has not ended yet")
        return self._stream.result

    async def pieces(self) -> AsyncIterator[str]:
        """The answer's pieces as they come. Raises what the ask raised (audited by it)."""
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while not self._ended:
            try:
                piece = await run_sync(next_piece, self._stream)
            except Exception:
                self._ended = True  # failed: audited as an error by the ask, not aborted
                raise
            if piece is None:
                self._ended = True
                break
            yield piece
        self._on_result(self.result)

    async def aclose(self) -> None:
        """Close the answer unless it ended: the ask audits it as ``aborted``. Idempotent;
        runs even in a cancelled scope (a dropped connection must still be audited)."""
        if self._closed:
            return
        self._closed = True
        if self._ended or self._stream.result is not None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await run_sync(self._stream.close)
            finally:
                self._on_abort()


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` of ``events``, the answer's id in ``X-Response-Id``; closes
    ``answer`` when the response ends."""

    def __init__(self, answer: StreamedAnswer, events: AsyncIterator[str]) -> None:
        super().__init__(
            events,
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                RESPONSE_ID_HEADER: answer.response_id,
            },
        )
        self._answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._answer.aclose()


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event whose data is ``data`` as JSON (one line: JSON escapes newlines)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"
