"""``LiteLLMClient``: any litellm model route, guarded, measured, with ordered fallbacks.

A route is a litellm model string (``clinvault/evidence``, ``openai/<name>`` with ``api_base``
for any OpenAI-compatible endpoint, ``ollama/<name>``, ``azure/<deployment>`` ...) plus where
to send it. The API key is read from the environment variable the settings *name*; it is
never stored in settings, results, logs or errors.

Every request goes through the injected guard before litellm sees it. Errors from a route
are logged by class and status only (no prompt content) and the next route is tried; when
none answers, ``LLMError`` names each route and how it failed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import litellm

from clinvault.errors import ClinvaultError, ConfigError, LLMError
from clinvault.llm.base import LLMResult, Message, PromptGuard, Usage
from clinvault.llm.provider import IN_PROCESS_PROVIDERS, register_offline_provider
from clinvault.settings import LLMRoute, LLMSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    model: str
    """The configured litellm model string."""
    model_name: str
    """The model name without its provider prefix."""
    provider: str
    api_base: str | None
    api_key_env: str | None

    def describe(self) -> str:
        return f"{self.model} via {self.provider}"


def resolve_route(route: LLMRoute) -> ResolvedRoute:
    """Ask litellm which provider serves ``route``; an unroutable model is a ``ConfigError``."""
    try:
        model_name, provider, _, _ = litellm.get_llm_provider(route.model, api_base=route.api_base)
    except Exception as exc:  # noqa: BLE001  (litellm raises several unrelated types here)
        raise ConfigError(
            f"llm model {route.model!r} cannot be routed by litellm ({type(exc).__name__})"
        ) from None
    return ResolvedRoute(
        model=route.model,
        model_name=model_name,
        provider=provider,
        api_base=route.api_base,
        api_key_env=route.api_key_env,
    )


def _failure(route: ResolvedRoute, exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    detail = type(exc).__name__ + (f", status {status}" if status else "")
    return f"{route.describe()} ({detail})"


def _usage(response: Any) -> Usage:
    usage = getattr(response, "usage", None)
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _cost(response: Any, route: ResolvedRoute) -> float | None:
    """The call's cost if litellm's (local) price map knows the model; in-process calls are free."""
    if route.provider in IN_PROCESS_PROVIDERS:
        return 0.0
    priced = route.model in litellm.model_cost or route.model_name in litellm.model_cost
    if not priced:
        return None
    try:
        return float(litellm.completion_cost(completion_response=response, model=route.model))
    except (litellm.exceptions.ModelNotMappedError, ValueError, KeyError, TypeError) as exc:
        log.debug("no cost for %s: %s", route.describe(), type(exc).__name__)
        return None


class LiteLLMClient:
    """An ``LLMClient`` over litellm, built from ``LLMSettings`` with an injected guard."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        guard: PromptGuard,
        environ: Mapping[str, str] | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        register_offline_provider()
        self._settings = settings
        self._guard = guard
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._timer = timer
        self.routes = tuple(resolve_route(route) for route in settings.routes())
        for route in self.routes:
            self._api_key(route)

    def _api_key(self, route: ResolvedRoute) -> str | None:
        if route.api_key_env is None:
            return None
        key = self._environ.get(route.api_key_env)
        if not key:
            raise ConfigError(
                f"llm route {route.model!r}: environment variable {route.api_key_env} "
                "(api_key_env) is not set"
            )
        return key

    def _request(self, route: ResolvedRoute, messages: Sequence[Message]) -> dict[str, Any]:
        settings = self._settings
        request: dict[str, Any] = {
            "model": route.model,
            "messages": [dict(message) for message in messages],
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "timeout": settings.timeout_s,
            "max_retries": settings.max_retries,
        }
        if route.api_base is not None:
            request["api_base"] = route.api_base
        key = self._api_key(route)
        if key is not None:
            request["api_key"] = key
        return request

    def _guarded(self, messages: Sequence[Message], deny_values: Sequence[str]) -> None:
        self._guard.check(messages, deny_values=deny_values)

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        self._guarded(messages, deny_values)
        failures = []
        for route in self.routes:
            started = self._timer()
            try:
                response = litellm.completion(**self._request(route, messages))
                text = response.choices[0].message.content or ""
            except ClinvaultError:
                raise
            except Exception as exc:  # noqa: BLE001  (every provider failure moves to the next route)
                failures.append(_failure(route, exc))
                log.warning("llm route failed: %s", failures[-1])
                continue
            return LLMResult(
                text=text,
                model=route.model,
                provider=route.provider,
                usage=_usage(response),
                latency_s=self._timer() - started,
                cost_usd=_cost(response, route),
                served_model=getattr(response, "model", None) or None,
            )
        raise LLMError("no model route answered: " + "; ".join(failures))

    def stream(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> Iterator[str]:
        """Guard now, then stream lazily; a route is abandoned for the next only before any text."""
        self._guarded(messages, deny_values)
        return self._stream(messages)

    def _stream(self, messages: Sequence[Message]) -> Iterator[str]:
        failures = []
        for route in self.routes:
            sent_any = False
            try:
                for chunk in litellm.completion(stream=True, **self._request(route, messages)):
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        sent_any = True
                        yield piece
                return
            except ClinvaultError:
                raise
            except Exception as exc:  # noqa: BLE001  (every provider failure moves to the next route)
                failures.append(_failure(route, exc))
                log.warning("llm route failed: %s", failures[-1])
                if sent_any:
                    raise LLMError("model route failed mid-answer: " + failures[-1]) from None
        raise LLMError("no model route answered: " + "; ".join(failures))
