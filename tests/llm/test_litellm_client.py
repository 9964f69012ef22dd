"""``LiteLLMClient`` over real HTTP against the loopback fake server, and over the offline model."""

from __future__ import annotations

import pytest

from clinvault.errors import ConfigError, EgressBlocked, LLMError
from clinvault.llm.egress import EgressGuard
from clinvault.llm.evidence_model import NOT_ANSWERED
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.llm.prompt import build_messages
from clinvault.settings import LLMRoute, LLMSettings
from tests.llm.fake_openai import FakeOpenAIServer
from tests.llm.llm_factories import a1c_series, allergies, make_chunk

KEY_ENV = "CLINVAULT_TEST_LLM_KEY"
SECRET = "sk-test-0123456789abcdef"


def _client(server: FakeOpenAIServer, **overrides: object) -> LiteLLMClient:
    settings = LLMSettings(
        model="openai/fake-model",
        api_base=server.base_url,
        api_key_env=KEY_ENV,
        max_retries=0,
        **overrides,  # type: ignore[arg-type]
    )
    return LiteLLMClient(settings, guard=EgressGuard(), environ={KEY_ENV: SECRET})


def test_complete_sends_the_exact_messages_over_http(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply = "The latest HbA1c is 6.1 % [2]."
    messages = build_messages("Latest A1c?", a1c_series(3))

    result = _client(fake_openai, temperature=0.2, max_tokens=77).complete(messages)

    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["messages"] == messages
    assert request.body["model"] == "fake-model"
    assert request.body["temperature"] == 0.2
    assert request.body["max_tokens"] == 77
    assert result.text == "The latest HbA1c is 6.1 % [2]."
    assert result.model == "openai/fake-model"
    assert result.provider == "openai"
    assert result.served_model == "fake-model"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 7)
    assert result.latency_s > 0
    assert result.cost_usd is None


def test_api_key_comes_from_the_named_env_var(fake_openai: FakeOpenAIServer) -> None:
    _client(fake_openai).complete(build_messages("q", []))
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {SECRET}"


def test_missing_api_key_env_is_a_config_error_without_the_value(
    fake_openai: FakeOpenAIServer,
) -> None:
    settings = LLMSettings(
        model="openai/fake-model", api_base=fake_openai.base_url, api_key_env=KEY_ENV
    )
    with pytest.raises(ConfigError, match=KEY_ENV):
        LiteLLMClient(settings, guard=EgressGuard(), environ={})


def test_stream_yields_the_reply_piecewise(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply = "Penicillin allergy is recorded [1] and peanut allergy [2]."
    pieces = list(_client(fake_openai).stream(build_messages("allergies?", allergies())))

    assert len(pieces) > 3
    assert "".join(pieces) == fake_openai.reply
    assert fake_openai.requests[0].body["stream"] is True


def test_timeout_becomes_llm_error_naming_the_route(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.delay_s = 2.0
    messages = build_messages("Latest A1c for [NAME-7F3A2C91]?", a1c_series(2))
    with pytest.raises(LLMError) as caught:
        _client(fake_openai, timeout_s=0.3).complete(messages)
    message = str(caught.value)
    assert "openai/fake-model" in message
    assert "Timeout" in message
    assert "A1c" not in message
    assert "NAME-7F3A2C91" not in message


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_become_llm_error(fake_openai: FakeOpenAIServer, status: int) -> None:
    fake_openai.error_status = status
    with pytest.raises(LLMError, match=rf"openai/fake-model via openai\).*status {status}"):
        _client(fake_openai).complete(build_messages("q", a1c_series(1)))
    with pytest.raises(LLMError, match="openai/fake-model"):
        list(_client(fake_openai).stream(build_messages("q", a1c_series(1))))


def test_a_failing_route_falls_back_to_the_next(fake_openai: FakeOpenAIServer) -> None:
    with FakeOpenAIServer(reply="from the backup [1]", model="backup-model") as backup:
        fake_openai.error_status = 502
        client = _client(
            fake_openai,
            fallbacks=[
                LLMRoute(model="openai/backup-model", api_base=backup.base_url, api_key_env=KEY_ENV)
            ],
        )
        result = client.complete(build_messages("q", a1c_series(1)))
        streamed = "".join(client.stream(build_messages("q", a1c_series(1))))

    assert result.text == "from the backup [1]"
    assert result.model == "openai/backup-model"
    assert streamed == "from the backup [1]"
    assert len(fake_openai.requests) == 2
    assert len(backup.requests) == 2


def test_offline_route_to_the_evidence_model(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.error_status = 500
    client = _client(fake_openai, fallbacks=[LLMRoute(model="clinvault/evidence")])
    result = client.complete(build_messages("What is her blood type?", a1c_series(2)))
    assert result.text == NOT_ANSWERED
    assert (result.model, result.provider, result.cost_usd) == (
        "clinvault/evidence",
        "clinvault",
        0.0,
    )
    assert result.usage.prompt_tokens > 0


def test_default_settings_answer_offline(settings: object) -> None:
    from clinvault.settings import Settings

    assert isinstance(settings, Settings)
    client = LiteLLMClient(settings.llm, guard=EgressGuard())
    messages = build_messages("latest a1c", a1c_series(4))
    result = client.complete(messages)
    assert "[" in result.text
    assert "".join(client.stream(messages)) == result.text


@pytest.mark.parametrize(
    "planted",
    ["call 555-867-5309", "write to jane.doe@example.org", "SSN 123-45-6789", "Jane Doe"],
)
def test_guard_blocks_before_any_request_reaches_the_server(
    fake_openai: FakeOpenAIServer, planted: str
) -> None:
    chunks = [*a1c_series(2), make_chunk(50, f"Note: {planted}", resource_type="Note")]
    messages = build_messages("latest a1c", chunks)
    client = _client(fake_openai)

    with pytest.raises(EgressBlocked) as caught:
        client.complete(messages, deny_values=["Jane Doe"])
    with pytest.raises(EgressBlocked):
        client.stream(messages, deny_values=["Jane Doe"])

    assert fake_openai.requests == []
    assert planted not in str(caught.value)


def test_unroutable_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nonexistent-provider/x"):
        LiteLLMClient(LLMSettings(model="nonexistent-provider/x"), guard=EgressGuard())
