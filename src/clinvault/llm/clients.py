"""The registry of model clients, chosen by ``llm.client``.

A factory takes the ``[llm]`` settings section and returns an ``LLMClient``. Integrators
register their own client by name (``LLM_CLIENTS.register("mine", factory)``) and select it
with ``CLINVAULT_LLM__CLIENT=mine``; whatever client is chosen, the ask service runs the
egress guard in front of it (:class:`clinvault.llm.guarded.GuardedLLM`).
"""

from __future__ import annotations

from clinvault.llm.base import LLMClient
from clinvault.registry import Registry
from clinvault.settings import LLMSettings

LLM_CLIENTS: Registry[LLMClient] = Registry(
    "LLM client", {"litellm": "clinvault.llm.clients:open_litellm_client"}
)
"""Factories ``(LLMSettings) -> LLMClient``, chosen by ``llm.client``."""


def open_litellm_client(settings: LLMSettings) -> LLMClient:
    """The litellm gateway over the configured routes (imports litellm: only when chosen).
    Unguarded itself: the ask service puts the egress guard in front of every client."""
    from clinvault.llm.litellm_client import LiteLLMClient

    return LiteLLMClient(settings)


def open_llm_client(settings: LLMSettings) -> LLMClient:
    return LLM_CLIENTS.create(settings.client, settings)
