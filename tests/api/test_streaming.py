"""End-to-end streaming over real HTTP: a uvicorn server on a loopback port serves the API
cohort, its model is the loopback fake OpenAI server writing slowly (a pause before every
chunk), and real HTTP clients (httpx, the ``openai`` client) read ``/v1/chat`` and
``/v1/chat/completions`` with ``stream=true``.

The first event reaches the client before the model has sent its last chunk (the fake
server notes when it did, on the same clock); tokens split across the model's chunks are
re-identified for the clinician and stay tokens for the researcher; a client hanging up
mid-answer is audited once as ``aborted`` and the model connection is closed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
import pytest

from clinvault.audit import AuditRecord
from tests.api.conftest import Api
from tests.api.slow_model import serve
from tests.ask.ask_factories import NAME_FAMILY, NAME_GIVEN, PATIENT_ID
from tests.ask.conftest import CLINICIAN, RESEARCHER
from tests.llm.fake_openai import FakeOpenAIServer

PATIENT = f"Patient/{PATIENT_ID}"
QUESTION = "When was she last seen?"
REAL_DATE = "March 4, 2021"
CHUNK_DELAY_S = 0.08


@dataclass(frozen=True)
class Reply:
    text: str
    name_token: str
    shifted_date: str


@dataclass
class Served:
    url: str
    model: FakeOpenAIServer
    reply: Reply


def _reply(api: Api) -> Reply:
    vault = api.services.vault
    patient = vault.patient_token(PATIENT)
    token = vault.scan(patient, f"{NAME_GIVEN} {NAME_FAMILY}")
    shifted = vault.scan(patient, REAL_DATE)
    assert token.startswith("[NAME-")
    assert shifted != REAL_DATE
    return Reply(f"Patient {token} was last seen on {shifted} [1], as noted.", token, shifted)


@pytest.fixture(scope="module")
def served(api: Api) -> Iterator[Served]:
    reply = _reply(api)
    with (
        FakeOpenAIServer(reply=reply.text) as model,
        serve(api.cohort.settings(), api.services, model) as url,
    ):
        served = Served(url, model, reply)
        _chat(served, CLINICIAN, "clinician", api)  # warm-up: litellm's lazy first-use setup
        model.chunk_delay_s = CHUNK_DELAY_S
        yield served


@pytest.fixture
def model(served: Served) -> Iterator[FakeOpenAIServer]:
    """The slow model, reset after each test."""
    yield served.model
    served.model.reply = served.reply.text
    served.model.piece_size = None
    served.model.error_status = None
    served.model.chunk_delay_s = CHUNK_DELAY_S


def _events(lines: Iterator[str]) -> Iterator[tuple[str, object, float]]:
    """(event name, JSON data, time it arrived) for each server-sent event."""
    name = "message"
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
            arrived = time.perf_counter()
            yield name, (data if data == "[DONE]" else json.loads(data)), arrived
            name = "message"


def _chat(
    served: Served, user: str, role: str, api: Api, **body: object
) -> tuple[list[tuple[str, object, float]], httpx.Headers]:
    payload = {"patient": PATIENT, "question": QUESTION, "stream": True, **body}
    with httpx.stream(
        "POST",
        f"{served.url}/v1/chat",
        json=payload,
        headers=api.headers(user, role),
        timeout=30,
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(_events(response.iter_lines())), response.headers


def _text(events: list[tuple[str, object, float]]) -> str:
    return "".join(str(data["text"]) for name, data, _ in events if name == "token")  # type: ignore[index]


def test_chat_first_token_arrives_before_the_model_has_finished(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    events, headers = _chat(served, CLINICIAN, "clinician", api)

    names = [name for name, _, _ in events]
    assert names[0] == "token"
    assert names[-2:] == ["citations", "done"]
    assert model.last_chunk_at is not None
    # 11 word chunks 80 ms apart: the model was still writing when the first token arrived,
    # and most tokens arrived while it wrote (not in a burst at the end)
    token_times = [at - model.last_chunk_at for name, _, at in events if name == "token"]
    assert len(token_times) > 5
    assert token_times[0] < -3 * CHUNK_DELAY_S, token_times
    assert sum(at < 0 for at in token_times) > len(token_times) / 2, token_times
    done = events[-1][1]
    assert isinstance(done, dict)
    assert done["response_id"] == headers["x-response-id"]
    assert done["answer"] == _text(events)
    record = api.services.audit.get(done["response_id"])
    assert record is not None
    assert record.outcome == "answered"


def test_openai_stream_first_chunk_arrives_before_the_model_has_finished(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    client = openai.OpenAI(
        base_url=f"{served.url}/v1",
        api_key=api.token(CLINICIAN, "clinician"),
        default_headers={"X-Patient-Id": PATIENT},
        max_retries=0,
    )
    stream = client.chat.completions.create(
        model="clinvault", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    arrivals: list[tuple[float, str]] = []
    chunks = []
    for chunk in stream:
        chunks.append(chunk)
        content = chunk.choices[0].delta.content if chunk.choices else None
        if content:
            arrivals.append((time.perf_counter(), content))

    assert model.last_chunk_at is not None
    times = [at - model.last_chunk_at for at, _ in arrivals]
    assert times[0] < -3 * CHUNK_DELAY_S, times
    assert sum(at < 0 for at in times) > len(times) / 2, times
    text = "".join(piece for _, piece in arrivals)
    assert f"{NAME_GIVEN} {NAME_FAMILY}" in text
    assert "\n\nSources:\n[1] " in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    extras = last.model_extra or {}
    assert extras["citations"][0]["n"] == 1
    assert {c.id for c in chunks} == {extras["clinvault"]["response_id"]}
    assert api.services.audit.get(last.id).outcome == "answered"  # type: ignore[union-attr]


def test_clinician_stream_reidentifies_tokens_split_across_model_chunks(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    model.piece_size = 3  # "[NA", "ME-", ... : no token or date arrives whole
    model.chunk_delay_s = 0.0
    events, _ = _chat(served, CLINICIAN, "clinician", api)

    text = _text(events)
    assert f"Patient {NAME_GIVEN} {NAME_FAMILY} was last seen on {REAL_DATE} [1]" in text
    assert served.reply.name_token not in text
    assert served.reply.shifted_date not in text
    assert sum(1 for name, _, _ in events if name == "token") > 10


def test_researcher_stream_shows_tokens_only(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    model.piece_size = 3
    model.chunk_delay_s = 0.0
    events, _ = _chat(served, RESEARCHER, "researcher", api, patient=api.cohort.patient_token)

    text = _text(events)
    assert text == served.reply.text
    assert NAME_FAMILY not in json.dumps([data for _, data, _ in events])
    assert REAL_DATE not in text
    done = events[-1][1]
    assert isinstance(done, dict)
    assert done["pseudonymous"] is True


def test_client_hanging_up_mid_answer_is_audited_once_as_aborted(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    before = api.head_seq()
    with httpx.stream(
        "POST",
        f"{served.url}/v1/chat",
        json={"patient": PATIENT, "question": QUESTION, "stream": True},
        headers=api.headers(CLINICIAN, "clinician"),
        timeout=30,
    ) as response:
        assert response.status_code == 200
        response_id = response.headers["x-response-id"]
        lines = response.iter_lines()
        first = next(name for name, _, _ in _events(lines))
        assert first == "token"
    # the client has closed the connection with the answer half written

    record = _wait_for_record(api, response_id)
    assert (record.outcome, record.reason) == ("aborted", "stream-abandoned")
    asks = [r for r in api.records_since(before) if r.kind == "ask"]
    assert [r.response_id for r in asks] == [response_id]
    deadline = time.monotonic() + 10
    while not model.stream_broken and time.monotonic() < deadline:
        time.sleep(0.02)
    assert model.stream_broken, "the model kept writing an answer nobody reads"
    time.sleep(2 * CHUNK_DELAY_S)
    assert [r.response_id for r in api.records_since(before) if r.kind == "ask"] == [response_id]


def test_model_failing_before_the_first_token_is_a_502_not_a_stream(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    model.error_status = 500
    response = httpx.post(
        f"{served.url}/v1/chat",
        json={"patient": PATIENT, "question": QUESTION, "stream": True},
        headers=api.headers(CLINICIAN, "clinician"),
        timeout=30,
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "llm-error"
    assert (api.last_record().outcome, api.last_record().reason) == ("error", "llm-error")


def _wait_for_record(api: Api, response_id: str) -> AuditRecord:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        record = api.services.audit.get(response_id)
        if record is not None:
            return record
        time.sleep(0.02)
    pytest.fail("no audit record for the abandoned answer")


def test_an_empty_answer_still_ends_with_citations_and_done(
    api: Api, served: Served, model: FakeOpenAIServer
) -> None:
    model.reply = ""
    events, headers = _chat(served, CLINICIAN, "clinician", api)

    assert [name for name, _, _ in events] == ["citations", "done"]
    done = events[-1][1]
    assert isinstance(done, dict)
    assert done["answer"] == ""
    record = api.services.audit.get(headers["x-response-id"])
    assert record is not None
    assert record.kind == "ask"
    assert record.outcome != "aborted"
