"""``LiteLLMClient``: the LLM gateway. Guard, policy, litellm Router, measured results.

A route is a litellm model string (``clinvault/evidence``, ``openai/<name>`` with ``api_base``
for any OpenAI-compatible endpoint, ``ollama/<name>``, ``azure/<deployment>`` ...) plus where
to send it and what the provider may keep. Building the client plans the routes
(:func:`clinvault.llm.routes.plan_routes`): the active route must satisfy the provider
policy (else ``ConfigError``), non-compliant fallbacks are left out of the router, so they
are never called. API keys are read from the environment variables the settings *name*;
they are never stored in settings, results, logs or errors.

The ask service runs the egress guard in front of any client (``clinvault.llm.guarded``);
a ``guard`` given here checks again before litellm sees a request (direct callers such as
``clinvault llm probe``). When no route
answers, ``LLMError`` names the routes tried and the last failure's class and status (no
provider text: it can echo the prompt).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

import litellm

from clinvault.errors import ClinvaultError, ConfigError, LLMError
from clinvault.llm.base import LLMResult, LLMStream, Message, PromptGuard, Usage
from clinvault.llm.provider import register_offline_provider
from clinvault.llm.router import build_router
from clinvault.llm.routes import ResolvedRoute, RoutePlan, plan_routes
from clinvault.settings import LLMSettings

log = logging.getLogger(__name__)


def _failure(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return type(exc).__name__ + (f", status {status}" if status else "")


def _usage(response: Any) -> Usage | None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _cost(usage: Usage, route: ResolvedRoute) -> float | None:
    """The call's cost if litellm's (local) price map knows the model; in-process calls are free."""
    if route.in_process:
        return 0.0
    for model in (route.model, route.model_name):
        # the router adds an entry for every deployment, without prices: only priced ones count
        if litellm.model_cost.get(model, {}).get("input_cost_per_token") is not None:
            try:
                prompt, completion = litellm.cost_per_token(
                    model=model,
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                )
            except (litellm.exceptions.NotFoundError, ValueError, KeyError, TypeError) as exc:
                log.debug("no cost for %s: %s", route.describe(), type(exc).__name__)
                return None
            return float(prompt) + float(completion)
    return None


class LiteLLMClient:
    """An ``LLMClient`` over litellm's Router, built from ``LLMSettings`` with an injected guard."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        guard: PromptGuard | None = None,
        environ: Mapping[str, str] | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        register_offline_provider()
        self._guard = guard
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._timer = timer
        self.plan: RoutePlan = plan_routes(settings)
        keys = {route.name: self._api_key(route) for route in self.plan.tried}
        self._router = build_router(
            self.plan.tried, {name: key for name, key in keys.items() if key is not None}
        )
        self._by_name = {route.name: route for route in self.plan.tried}

    @property
    def routes(self) -> tuple[ResolvedRoute, ...]:
        """The routes this client may call, in the order it tries them."""
        return self.plan.tried

    def _api_key(self, route: ResolvedRoute) -> str | None:
        if route.api_key_env is None:
            return None
        key = self._environ.get(route.api_key_env)
        if not key:
            raise ConfigError(
                f"llm route {route.name!r}: environment variable {route.api_key_env} "
                "(api_key_env) is not set"
            )
        return key

    def _route_taken(self, hidden: Mapping[str, Any] | None) -> ResolvedRoute:
        name = (hidden or {}).get("model_id")
        route = self._by_name.get(str(name))
        if route is None:
            raise LLMError("the router did not say which route answered; answer discarded")
        return route

    def _all_failed(self, exc: BaseException) -> LLMError:
        tried = ", ".join(route.describe() for route in self.plan.tried)
        message = f"no model route answered (tried {tried}); last failure: {_failure(exc)}"
        log.warning("%s", message)
        return LLMError(message)

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        if self._guard is not None:
            self._guard.check(messages, deny_values=deny_values)
        started = self._timer()
        try:
            response: Any = self._router.completion(
                model=self.plan.active.name, messages=[dict(m) for m in messages]
            )
            text = response.choices[0].message.content or ""
        except ClinvaultError:
            raise
        except Exception as exc:  # noqa: BLE001  (every provider failure is reported, never hidden)
            raise self._all_failed(exc) from None
        route = self._route_taken(getattr(response, "_hidden_params", None))
        usage = _usage(response) or Usage(0, 0)
        return LLMResult(
            text=text,
            model=route.model,
            provider=route.provider,
            usage=usage,
            latency_s=self._timer() - started,
            cost_usd=_cost(usage, route),
            served_model=getattr(response, "model", None) or None,
            route=route.name,
        )

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()) -> LLMStream:
        """Guard now (the whole prompt, once), then stream lazily: the request goes out on the
        first ``next``, and each piece is handed on as the provider sends it. The router moves
        to the next route only before the first piece; a failure after that is an
        ``LLMError``. ``result`` is set at the end; ``close()`` before the end closes the
        provider connection, so an abandoned answer stops being generated (and billed)."""
        if self._guard is not None:
            self._guard.check(messages, deny_values=deny_values)
        return LLMStream(self._stream([dict(m) for m in messages]))

    def _stream(self, messages: list[Message]) -> Generator[str, None, LLMResult]:
        started = self._timer()
        usage: Usage | None = None
        served: str | None = None
        chunks: Any = None
        try:
            chunks = self._router.completion(
                model=self.plan.active.name,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in chunks:
                usage = _usage(chunk) or usage
                served = getattr(chunk, "model", None) or served
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    yield piece
        except GeneratorExit:
            _close_quietly(chunks)
            raise
        except ClinvaultError:
            raise
        except Exception as exc:  # noqa: BLE001  (every provider failure is reported, never hidden)
            raise self._all_failed(exc) from None
        route = self._route_taken(getattr(chunks, "_hidden_params", None))
        usage = usage or Usage(0, 0)
        return LLMResult(
            text="",
            model=route.model,
            provider=route.provider,
            usage=usage,
            latency_s=self._timer() - started,
            cost_usd=_cost(usage, route),
            served_model=served,
            route=route.name,
        )


def _close_quietly(chunks: Any) -> None:
    """Close an abandoned provider stream (litellm's wrapper closes the HTTP response)."""
    close = getattr(chunks, "close", None)
    if not callable(close):
        return
    try:
        close()
    except Exception as exc:  # noqa: BLE001  (the answer is abandoned already; only logged)
        log.debug("closing an abandoned model stream failed: %s", type(exc).__name__)
