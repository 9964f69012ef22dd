"""Which model routes a configuration calls, in which order, with the ``[llm]`` defaults.

    route_plan(settings.llm)      # the active route, then its fallbacks, as tried
    defined_routes(settings.llm)  # every route the config names, tried or not

Pure data from ``LLMSettings`` (which validates the names when it is built); no litellm.
:func:`clinvault.llm.routes.plan_routes` then asks litellm about each route and applies the
provider policy.
"""

from __future__ import annotations

from clinvault.errors import ConfigError
from clinvault.settings import DEFAULT_ROUTE_NAME, LLMRoute, LLMSettings


def route_plan(settings: LLMSettings) -> list[LLMRoute]:
    """The active route and then its fallbacks, in the order they are tried, with the
    ``[llm]`` defaults filled in and every route named."""
    named = {route.label: route for route in settings.routes}
    if settings.routes:
        active = _named(named, settings.route or settings.routes[0].label)
    else:
        active = LLMRoute(
            name=DEFAULT_ROUTE_NAME,
            model=settings.model,
            api_base=settings.api_base,
            api_key_env=settings.api_key_env,
            api_version=settings.api_version,
            baa=settings.baa,
            data_retention=settings.data_retention,
            region=settings.region,
            zero_data_retention=settings.zero_data_retention,
        )
    fallbacks = [_named(named, f) if isinstance(f, str) else f for f in settings.fallbacks]
    return [with_defaults(settings, route) for route in (active, *fallbacks)]


def defined_routes(settings: LLMSettings) -> list[LLMRoute]:
    """Every route the config names (tried or not), with defaults filled in."""
    plan = route_plan(settings)
    labels = {route.label for route in plan}
    rest = [with_defaults(settings, r) for r in settings.routes if r.label not in labels]
    return [*plan, *rest]


def with_defaults(settings: LLMSettings, route: LLMRoute) -> LLMRoute:
    """``route`` named, with the ``[llm]`` values where it leaves them unset."""
    return route.model_copy(
        update={
            "name": route.label,
            "temperature": settings.temperature if route.temperature is None else route.temperature,
            "max_tokens": route.max_tokens or settings.max_tokens,
            "timeout_s": route.timeout_s or settings.timeout_s,
            "max_retries": settings.max_retries if route.max_retries is None else route.max_retries,
        }
    )


def _named(named: dict[str, LLMRoute], name: str) -> LLMRoute:
    route = named.get(name)
    if route is None:  # settings copied without validation (model_copy) can get here
        raise ConfigError(f"llm route {name!r} is not one of the defined routes")
    return route
