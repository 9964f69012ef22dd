"""A harmless probe through the full gateway (guard, policy, router) to one named route.

``clinvault llm test ROUTE`` uses it to prove a route works before patients depend on it:
the prompt is built by the same prompt builder from made-up evidence that names nobody.
"""

from __future__ import annotations

from collections.abc import Mapping

from clinvault.errors import ConfigError
from clinvault.llm.base import LLMResult, Message
from clinvault.llm.egress import EgressGuard
from clinvault.llm.litellm_client import LiteLLMClient
from clinvault.llm.prompt import build_messages
from clinvault.llm.route_plan import defined_routes
from clinvault.model import Chunk
from clinvault.settings import LLMSettings

PROBE_QUESTION = "What is the latest probe value?"
PROBE_EVIDENCE = Chunk(
    chunk_id="00000000-0000-0000-0000-000000000000",
    patient="PT-0000000000000000",
    resource_type="Observation",
    resource="RES-0000000000000000",
    kind="resource",
    text="Gateway probe value: 42 units (a made-up test item, not a patient record)",
    date="2000-01-01",
    display="Gateway probe value",
)


def probe_messages() -> list[Message]:
    return build_messages(PROBE_QUESTION, [PROBE_EVIDENCE])


def only_route(settings: LLMSettings, name: str) -> LLMSettings:
    """Settings whose one route is the defined route ``name`` (no fallbacks), same policy."""
    routes = {route.label: route for route in defined_routes(settings)}
    if name not in routes:
        known = ", ".join(routes)
        raise ConfigError(f"no llm route named {name!r}; defined routes: {known}")
    return LLMSettings(routes=[routes[name]], policy=settings.policy)


def probe_route(
    settings: LLMSettings, name: str, *, environ: Mapping[str, str] | None = None
) -> LLMResult:
    """Send the probe to route ``name`` alone; the policy and the guard apply as for asks."""
    client = LiteLLMClient(only_route(settings, name), guard=EgressGuard(), environ=environ)
    return client.complete(probe_messages())
