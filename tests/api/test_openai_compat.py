"""The ``openai`` client, unchanged, against a real uvicorn server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from clinvault.api import create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from tests.api.conftest import Api
from tests.api.live_server import live_server
from tests.ask.ask_factories import LATEST_HBA1C, PATIENT_ID
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN

QUESTION = "What is the latest HbA1c?"


@pytest.fixture(scope="module")
def base_url(api: Api) -> Iterator[str]:
    app = create_app(
        api.cohort.settings(), services=api.services, limiter=InProcessRateLimiter(1000)
    )
    with live_server(app) as url:
        yield f"{url}/v1"


def _client(api: Api, base_url: str, user: str = CLINICIAN) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url,
        api_key=api.token(user, "clinician"),
        default_headers={"X-Patient-Id": PATIENT_ID},
        max_retries=0,
    )


def test_completion_with_citations(api: Api, base_url: str) -> None:
    completion = _client(api, base_url).chat.completions.create(
        model="clinvault", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content or ""
    assert LATEST_HBA1C in content
    assert "Sources:" in content
    assert "Observation/" in content
    extra = completion.model_extra or {}
    assert extra["citations"]
    record = api.services.audit.get(completion.id)
    assert record is not None
    assert record.kind == "ask"
    assert record.principal == CLINICIAN


def test_streamed_completion(api: Api, base_url: str) -> None:
    stream = _client(api, base_url).chat.completions.create(
        model="clinvault", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert LATEST_HBA1C in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"]


def test_patient_from_metadata_and_refusal_as_permission_error(api: Api, base_url: str) -> None:
    client = openai.OpenAI(
        base_url=base_url, api_key=api.token(CARE_TEAM_LESS, "clinician"), max_retries=0
    )
    with pytest.raises(openai.PermissionDeniedError) as raised:
        client.chat.completions.create(
            model="clinvault",
            messages=[{"role": "user", "content": QUESTION}],
            metadata={"patient": PATIENT_ID},
        )
    assert raised.value.code == "no-relationship"
    assert api.last_record().reason == "no-relationship"


def test_bad_token_is_an_authentication_error(api: Api, base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="not-a-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(
            model="clinvault", messages=[{"role": "user", "content": QUESTION}]
        )
    assert api.last_record().reason == "token-malformed"


def test_unknown_model(api: Api, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError):
        _client(api, base_url).chat.completions.create(
            model="gpt-9", messages=[{"role": "user", "content": QUESTION}]
        )
    models = _client(api, base_url).models.list()
    assert "clinvault" in {m.id for m in models.data}
