"""The API served over real HTTP with a slow model: the loopback fake OpenAI server (a pause
before every chunk) as the model client, uvicorn on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from clinvault.api import ApiServices, create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.api.scoped_retriever import ScopedRetriever
from clinvault.api.security.scopes import ResourceAccess
from clinvault.ask import AskService
from clinvault.llm import LLMClient
from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.settings import LLMSettings, Settings
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
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
