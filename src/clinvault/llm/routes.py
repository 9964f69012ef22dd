"""Model routes resolved for calling: litellm's provider for each, and the provider policy's
verdict. ``plan_routes`` is where "a non-compliant route is never called" is decided.

    plan = plan_routes(settings.llm)
    plan.tried      # the active route, then the compliant fallbacks, in order
    plan.excluded   # fallbacks the policy rules out (never called), with reasons
    plan.assessed   # every defined route with its compliance status (``clinvault llm check``)

The active route violating the policy is a ``ConfigError``: the gateway does not start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import litellm

from clinvault.errors import ConfigError
from clinvault.llm.policy import ComplianceStatus, assess
from clinvault.llm.provider import IN_PROCESS_PROVIDERS, register_offline_provider
from clinvault.llm.route_plan import defined_routes, route_plan
from clinvault.settings import LLMPolicy, LLMRoute, LLMSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    config: LLMRoute
    """The route's settings, ``[llm]`` defaults filled in."""
    model_name: str
    """The model name without its provider prefix."""
    provider: str
    compliance: ComplianceStatus

    @property
    def name(self) -> str:
        return self.config.label

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def api_base(self) -> str | None:
        return self.config.api_base

    @property
    def api_key_env(self) -> str | None:
        return self.config.api_key_env

    @property
    def in_process(self) -> bool:
        return self.provider in IN_PROCESS_PROVIDERS

    def describe(self) -> str:
        return f"{self.name}: {self.model} via {self.provider}"


@dataclass(frozen=True, slots=True)
class RoutePlan:
    tried: tuple[ResolvedRoute, ...]
    excluded: tuple[ResolvedRoute, ...]
    assessed: tuple[ResolvedRoute, ...]

    @property
    def active(self) -> ResolvedRoute:
        return self.tried[0]


def resolve_route(route: LLMRoute, policy: LLMPolicy) -> ResolvedRoute:
    """Ask litellm which provider serves ``route``; an unroutable model is a ``ConfigError``."""
    try:
        model_name, provider, _, _ = litellm.get_llm_provider(route.model, api_base=route.api_base)
    except Exception as exc:  # noqa: BLE001  (litellm raises several unrelated types here)
        raise ConfigError(
            f"llm route {route.label!r}: model {route.model!r} cannot be routed by litellm "
            f"({type(exc).__name__})"
        ) from None
    compliance = assess(route, policy, in_process=provider in IN_PROCESS_PROVIDERS)
    return ResolvedRoute(
        config=route, model_name=model_name, provider=provider, compliance=compliance
    )


def assess_routes(settings: LLMSettings) -> tuple[ResolvedRoute, ...]:
    """Every defined route (active, fallbacks, then unused named routes) with its status."""
    register_offline_provider()
    return tuple(resolve_route(route, settings.policy) for route in defined_routes(settings))


def plan_routes(settings: LLMSettings) -> RoutePlan:
    """The routes to call, in order; raises ``ConfigError`` if the active route is not allowed."""
    assessed = assess_routes(settings)
    in_plan = len(route_plan(settings))
    active, *fallbacks = assessed[:in_plan]
    if not active.compliance.compliant:
        raise ConfigError(
            f"llm route {active.name!r} violates the provider policy: {active.compliance.explain()}"
        )
    excluded = tuple(route for route in fallbacks if not route.compliance.compliant)
    for route in excluded:
        log.warning(
            "llm fallback route %r is excluded by the provider policy: %s",
            route.name,
            route.compliance.explain(),
        )
    tried = (active, *(route for route in fallbacks if route.compliance.compliant))
    return RoutePlan(tried=tried, excluded=excluded, assessed=assessed)
