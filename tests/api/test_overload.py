"""Overload: with the API's concurrency bound set low, a burst of conversations gets 200s and
clean 503s with Retry-After, never a 500, and one ``ask`` audit record per accepted request
(the shed ones are audited as refusals, reason ``overloaded``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from clinvault.api import create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.llm import LLMClient
from clinvault.llm.base import LLMResult, Message
from tests.api.conftest import API_TEST_SETTINGS, Api
from tests.api.live_server import live_server
from tests.api.slow_model import WithModel
from tests.ask.ask_factories import PATIENT_ID
from tests.ask.conftest import CLINICIAN

SLOTS = 2
BURST = 24
WAIT_S = 30.0


class GatedModel:
    """The cohort's model, each call held until the test opens the gate."""

    def __init__(self, inner: LLMClient) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.held = 0

    def _hold(self) -> None:
        with self._lock:
            self.held += 1
        assert self.gate.wait(WAIT_S), "the test never opened the gate"

    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        self._hold()
        return self.inner.complete(messages, deny_values=deny_values)

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        self._hold()
        yield from self.inner.stream(messages, deny_values=deny_values)


def _wait_for(condition: Any) -> None:
    done = threading.Event()
    for _ in range(int(WAIT_S * 50)):
        if condition():
            return
        done.wait(0.02)
    pytest.fail("condition never reached")


@pytest.mark.parametrize("stream", [False, True])
def test_a_burst_beyond_the_bound_gets_200s_and_clean_503s_all_audited(
    api: Api, stream: bool
) -> None:
    settings = api.cohort.settings(
        api={**API_TEST_SETTINGS, "max_in_flight": SLOTS, "overload_queue": 0,
             "overload_retry_after_s": 3}
    )  # fmt: skip
    model = GatedModel(api.services.llm)
    app = create_app(
        settings,
        services=WithModel(api.services, model),  # type: ignore[arg-type]
        limiter=InProcessRateLimiter(10_000),
    )
    headers = api.headers(CLINICIAN, "clinician")
    body = {"patient": f"Patient/{PATIENT_ID}", "question": "What is the latest HbA1c?"}
    if stream:
        body["stream"] = True
    first_seq = api.head_seq()
    responses: list[httpx.Response] = []

    with live_server(app) as url, httpx.Client(base_url=url, timeout=WAIT_S) as client:

        def chat(_: int) -> httpx.Response:
            response = client.post("/v1/chat", json=body, headers=headers)
            responses.append(response)
            return response

        with ThreadPoolExecutor(BURST) as pool:
            futures = [pool.submit(chat, n) for n in range(BURST)]
            # two asks hold the slots at the model; every other request is shed meanwhile
            _wait_for(lambda: model.held == SLOTS and len(responses) == BURST - SLOTS)
            model.gate.set()
            statuses = [f.result(WAIT_S).status_code for f in futures]
        assert client.get("/healthz").status_code == 200  # probes are never held back

    assert sorted(statuses) == [200] * SLOTS + [503] * (BURST - SLOTS)
    for response in responses:
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "3"
            assert response.json()["error"]["code"] == "overloaded"
    records = [r for r in api.services.audit.recent(200) if r.seq > first_seq]
    asks = [r for r in records if r.kind == "ask"]
    assert len(asks) == SLOTS  # audit count = accepted requests
    assert all(r.outcome == "answered" for r in asks)
    shed = [r for r in records if r.kind == "access" and r.reason == "overloaded"]
    assert sum(r.count or 1 for r in shed) == BURST - SLOTS
    assert api.services.audit.verify().ok


def test_a_request_waits_for_a_slot_within_the_wait(api: Api) -> None:
    """A queued request is served once a slot frees up (no 503 when the wait suffices)."""
    settings = api.cohort.settings(
        api={**API_TEST_SETTINGS, "max_in_flight": 1, "overload_queue": 4, "overload_wait_s": 30}
    )
    model = GatedModel(api.services.llm)
    app = create_app(
        settings,
        services=WithModel(api.services, model),  # type: ignore[arg-type]
        limiter=InProcessRateLimiter(10_000),
    )
    headers = api.headers(CLINICIAN, "clinician")
    body = {"patient": f"Patient/{PATIENT_ID}", "question": "What is the latest HbA1c?"}
    with (
        live_server(app) as url,
        httpx.Client(base_url=url, timeout=WAIT_S) as client,
        ThreadPoolExecutor(3) as pool,
    ):
        futures = [
            pool.submit(client.post, "/v1/chat", json=body, headers=headers) for _ in range(3)
        ]
        _wait_for(lambda: model.held == 1)
        model.gate.set()
        statuses = [f.result(WAIT_S).status_code for f in futures]
    assert statuses == [200, 200, 200]
