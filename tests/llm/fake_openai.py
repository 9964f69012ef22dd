"""A loopback OpenAI-compatible chat server for tests: real HTTP on 127.0.0.1, ephemeral port.

Use it as a context manager (or through the ``fake_openai`` fixture in ``tests/llm/conftest.py``)::

    with FakeOpenAIServer(reply="Hello [1]") as server:
        settings = LLMSettings(model="openai/fake-model", api_base=server.base_url)
        ...
        assert server.requests[0].body["messages"] == messages

``POST /v1/chat/completions`` answers with ``reply`` (non-streaming JSON, or SSE when the body
asks for ``"stream": true``). Every request is recorded (path, headers, parsed body) before
anything else happens. ``delay_s`` holds the answer back (timeout tests); ``error_status``
answers with that HTTP status instead (error and fallback tests); ``chunk_delay_s`` sleeps
before every streamed chunk, as a model writing slowly does; ``piece_size`` streams the reply
in pieces of that many characters instead of word by word (tokens split across chunks). All
can be changed between requests.

For streams the server notes, on the ``time.perf_counter`` clock of this process, when it
sent the first and the last content chunk (``first_chunk_at``, ``last_chunk_at``) and whether
the client hung up before the end (``stream_broken``): streaming tests compare these with
what their client saw.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _word_pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word if not pieces else " " + word)
    return pieces


class FakeOpenAIServer:
    def __init__(
        self,
        *,
        reply: str = "The fake model answers [1].",
        model: str = "fake-model",
        prompt_tokens: int = 11,
        completion_tokens: int = 7,
        delay_s: float = 0.0,
        error_status: int | None = None,
        chunk_delay_s: float = 0.0,
        piece_size: int | None = None,
    ) -> None:
        self.reply = reply
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.delay_s = delay_s
        self.error_status = error_status
        self.chunk_delay_s = chunk_delay_s
        self.piece_size = piece_size
        self.first_chunk_at: float | None = None
        self.last_chunk_at: float | None = None
        self.stream_broken = False
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # what tests read ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The OpenAI-style API base, e.g. ``http://127.0.0.1:54321/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def stream_progress(self, *, first: bool, last: bool) -> None:
        now = time.perf_counter()
        with self._lock:
            if first:
                self.first_chunk_at = now
            if last:
                self.last_chunk_at = now

    def broke(self) -> None:
        with self._lock:
            self.stream_broken = True

    # responses ---------------------------------------------------------------------------

    def completion_body(self) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            },
        }

    def stream_events(self, *, include_usage: bool) -> list[dict[str, Any]]:
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        events = [chunk({"role": "assistant", "content": ""}, None)]
        size = self.piece_size
        pieces = (
            _word_pieces(self.reply)
            if size is None
            else [self.reply[i : i + size] for i in range(0, len(self.reply), size)]
        )
        events += [chunk({"content": piece}, None) for piece in pieces]
        events.append(chunk({}, "stop"))
        if include_usage:
            final = chunk({}, None)
            final["choices"] = []
            final["usage"] = self.completion_body()["usage"]
            events.append(final)
        return events


def _content_of(event: dict[str, Any]) -> str | None:
    choices = event.get("choices") or [{}]
    content: str | None = choices[0].get("delta", {}).get("content")
    return content


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: test output stays clean."""

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            body = json.loads(raw) if raw else {}
            server.record(
                RecordedRequest(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
            )
            if server.delay_s:
                time.sleep(server.delay_s)
            if self.path.rstrip("/") != CHAT_PATH:
                self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            if server.error_status is not None:
                error = {"message": "fake upstream failure", "type": "server_error"}
                self._send_json(server.error_status, {"error": error})
                return
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                self._send_stream(server.stream_events(include_usage=include_usage))
            else:
                self._send_json(200, server.completion_body())

        def _send_stream(self, events: list[dict[str, Any]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            content = [i for i, e in enumerate(events) if (_content_of(e) or "") != ""]
            try:
                for i, event in enumerate(events):
                    if server.chunk_delay_s:
                        time.sleep(server.chunk_delay_s)
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    if i in content:
                        server.stream_progress(first=i == content[0], last=i == content[-1])
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                server.broke()

    return Handler
