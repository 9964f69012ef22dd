"""The litellm ``Router`` over the planned routes: one deployment per route, fallbacks in order.

Each route becomes a model group of one deployment whose id is the route's name, so the
router's answer says which route served it (``_hidden_params["model_id"]``). Cooldowns are
off: every call tries the routes in the configured order, which is what the audit promises.
Retries are per route (the provider client's ``max_retries``); the router adds none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litellm import Router  # type: ignore[attr-defined]

from clinvault.llm.routes import ResolvedRoute


def deployment(route: ResolvedRoute, api_key: str | None) -> dict[str, Any]:
    config = route.config
    params: dict[str, Any] = {
        "model": config.model,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "timeout": config.timeout_s,
        "stream_timeout": config.timeout_s,
        "max_retries": config.max_retries,
    }
    optional = {"api_base": config.api_base, "api_version": config.api_version, "api_key": api_key}
    params.update({key: value for key, value in optional.items() if value is not None})
    return {"model_name": route.name, "litellm_params": params, "model_info": {"id": route.name}}


def build_router(routes: Sequence[ResolvedRoute], api_keys: Mapping[str, str]) -> Router:
    """A router trying ``routes[0]`` and then each later route; ``api_keys`` by route name."""
    if not routes:
        raise ValueError("a router needs at least one route")
    first, *rest = routes
    fallbacks = [{first.name: [route.name for route in rest]}] if rest else []
    router: Router = Router(
        model_list=[deployment(route, api_keys.get(route.name)) for route in routes],
        fallbacks=fallbacks,
        num_retries=0,
        disable_cooldowns=True,
    )
    return router
