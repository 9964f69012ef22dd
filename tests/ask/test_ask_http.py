"""The real HTTP path (litellm -> loopback OpenAI-compatible server): what leaves the process
holds tokens and shifted dates only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from clinvault.ask import AskService
from clinvault.runtime import Runtime
from tests.ask.ask_factories import (
    BIRTH_DATE,
    MRN,
    NAME_FAMILY,
    NAME_GIVEN,
    PATIENT_ID,
    PHONE,
    hba1c_series,
)
from tests.ask.conftest import CLINICIAN, Cohort, Services
from tests.llm.fake_openai import FakeOpenAIServer

KEY_ENV = "CLINVAULT_TEST_FAKE_OPENAI_KEY"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply="The newest HbA1c is in item [1]; see also [2].") as fake:
        yield fake


@pytest.fixture
def http_service(
    services: Services, cohort: Cohort, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AskService]:
    """The service as an integrator configures it: an OpenAI-compatible route in settings."""
    monkeypatch.setenv(KEY_ENV, "not-a-real-key")
    services.close()
    llm = {"model": "openai/fake-model", "api_base": server.base_url, "api_key_env": KEY_ENV}
    with Runtime.open(cohort.settings(llm={**llm, "max_retries": 0})) as runtime:
        yield runtime.ask_service()


@pytest.mark.parametrize("stream", [False, True])
def test_http_route_answers_and_sends_no_phi(
    http_service: AskService, server: FakeOpenAIServer, stream: bool
) -> None:
    question = f"What is {NAME_GIVEN} {NAME_FAMILY}'s latest HbA1c? Her phone is {PHONE}."
    result = http_service.ask(CLINICIAN, f"Patient/{PATIENT_ID}", question, stream=stream)

    assert result.model == "openai/fake-model"
    assert [c.n for c in result.citations] == [1, 2]
    assert result.citations[0].reference == "Observation/a1c-19"
    assert len(server.requests) == 1
    body = json.dumps(server.requests[0].body)
    assert "[NAME-" in body
    assert "[PHONE-" in body
    real_dates = [day for day, _ in hba1c_series()]
    for value in (NAME_FAMILY, MRN, PHONE, BIRTH_DATE, "a1c-19", PATIENT_ID, *real_dates):
        assert value not in body
    if not stream:
        assert result.prompt_tokens == server.prompt_tokens
