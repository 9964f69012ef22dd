"""``LiteLLMClient.stream`` against a model that writes slowly (the loopback fake server sleeps
before every chunk): pieces are handed on as they arrive, not once the answer is complete,
and an abandoned stream hangs up on the provider."""

from __future__ import annotations

import time

from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.llm.prompt import build_messages
from clinvault.settings import LLMSettings
from tests.llm.fake_openai import FakeOpenAIServer
from tests.llm.llm_factories import allergies

REPLY = "Penicillin allergy is recorded [1] and peanut allergy [2], both confirmed last year."
CHUNK_DELAY_S = 0.08
KEY_ENV = "CLINVAULT_TEST_LLM_KEY"


def _client(server: FakeOpenAIServer) -> LiteLLMClient:
    settings = LLMSettings(
        model="openai/fake-model", api_base=server.base_url, api_key_env=KEY_ENV, max_retries=0
    )
    return LiteLLMClient(settings, guard=EgressGuard(), environ={KEY_ENV: "sk-test-stream"})


def test_first_piece_arrives_before_the_model_has_finished(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply = REPLY
    fake_openai.chunk_delay_s = CHUNK_DELAY_S
    stream = _client(fake_openai).stream(build_messages("allergies?", allergies()))

    arrivals = [(piece, time.perf_counter()) for piece in stream]

    assert fake_openai.last_chunk_at is not None
    # 13 word chunks 80 ms apart: the first piece came while the model had ~1 s to write,
    # and most pieces came as written, not in a burst at the end
    before_end = [at - fake_openai.last_chunk_at for _, at in arrivals]
    assert before_end[0] < -3 * CHUNK_DELAY_S, before_end
    assert sum(at < 0 for at in before_end) > len(arrivals) / 2, before_end
    assert "".join(piece for piece, _ in arrivals) == REPLY
    assert stream.result is not None
    assert stream.result.text == REPLY
    assert stream.result.usage.prompt_tokens == fake_openai.prompt_tokens


def test_closing_an_unfinished_stream_hangs_up_on_the_provider(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.reply = REPLY
    fake_openai.chunk_delay_s = CHUNK_DELAY_S
    stream = _client(fake_openai).stream(build_messages("allergies?", allergies()))
    next(stream)
    stream.close()

    deadline = time.perf_counter() + 5
    while not fake_openai.stream_broken and time.perf_counter() < deadline:
        time.sleep(0.02)
    assert fake_openai.stream_broken
    assert stream.result is None
