"""The API served over real HTTP with a slow model: the loopback fake OpenAI server (a pause
before every chunk) as the model client, uvicorn on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from clinvault.api import ApiServices, create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.api.scoped_retriever import ScopedRetriever
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskService
from clinvault.llm import LLMClient
from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.settings import LLMSettings, Settings
from tests.api.live_server import live_server
from tests.llm.fake_openai import FakeOpenAIServer

KEY_ENV = "CLINVAULT_TEST_STREAM_KEY"


class WithModel:
    """The API's services with another model client: the same stores, index and audit log."""

    def __init__(self, services: ApiServices, llm: LLMClient) -> None:
        self._services = services
        self.llm = llm

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services, name)

    def ask_service(self, access: ResourceAccess) -> AskService:
        base = self._services
        retriever = ScopedRetriever(
            base.embedder,
            base.index,
            access=access,
            lock=base.index_lock,
            candidates=base.settings.retrieval.candidates,
        )
        return AskService(
            vault=base.vault,
            retriever=retriever,
            llm=self.llm,
            access=base.access,
            audit_log=base.audit,
            top_k=base.settings.retrieval.top_k,
            model_label=base.settings.llm.model,
        )


def model_client(model: FakeOpenAIServer) -> LiteLLMClient:
    settings = LLMSettings(
        model="openai/fake-model", api_base=model.base_url, api_key_env=KEY_ENV, max_retries=0
    )
    return LiteLLMClient(settings, guard=EgressGuard(), environ={KEY_ENV: "sk-test"})


@contextmanager
def serve(settings: Settings, services: ApiServices, model: FakeOpenAIServer) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of the API answering with ``model``, until the block ends."""
    app = create_app(
        settings,
        services=WithModel(services, model_client(model)),  # type: ignore[arg-type]
        limiter=InProcessRateLimiter(1000),
    )
    with live_server(app) as url:
        yield url
