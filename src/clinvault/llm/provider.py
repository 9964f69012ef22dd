"""The offline evidence model as a litellm custom provider: ``clinvault/evidence``.

``register_offline_provider()`` adds the provider to ``litellm.custom_provider_map`` (litellm's
own registry, the only state involved); it is idempotent and the client calls it on
construction, so ``litellm.completion(model="clinvault/evidence", ...)`` works from then on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM, CustomLLMError
from litellm.types.llms.openai import ChatCompletionUsageBlock
from litellm.types.utils import GenericStreamingChunk, ModelResponse
from litellm.types.utils import Usage as LiteLLMUsage

from clinvault.llm.evidence_model import answer
from clinvault.llm.prompt import parse_prompt

PROVIDER = "clinvault"
MODELS = ("evidence",)
IN_PROCESS_PROVIDERS = frozenset({PROVIDER})
"""Providers that run inside this process: nothing leaves it and nothing is billed."""

_REGISTRATION = threading.Lock()
_PIECE = re.compile(r"\S+\s*|\s+")


def _answer_for(model: str, messages: list[Any]) -> str:
    name = model.removeprefix(f"{PROVIDER}/")
    if name not in MODELS:
        known = ", ".join(f"{PROVIDER}/{m}" for m in MODELS)
        raise CustomLLMError(  # type: ignore[no-untyped-call]
            status_code=404, message=f"unknown model {model!r}; known: {known}"
        )
    prompt = parse_prompt(messages)
    return answer(prompt.question, prompt.evidence)


def _usage(messages: list[Any], text: str) -> ChatCompletionUsageBlock:
    prompt_tokens = litellm.token_counter(messages=messages)
    completion_tokens = litellm.token_counter(text=text) if text else 0
    return ChatCompletionUsageBlock(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def _pieces(text: str) -> Iterator[str]:
    """Word-sized pieces whose concatenation is exactly ``text``."""
    yield from _PIECE.findall(text)


def _stream_chunks(model: str, messages: list[Any]) -> Iterator[GenericStreamingChunk]:
    text = _answer_for(model, messages)
    for piece in _pieces(text):
        yield GenericStreamingChunk(
            text=piece, is_finished=False, finish_reason="", usage=None, index=0, tool_use=None
        )
    yield GenericStreamingChunk(
        text="",
        is_finished=True,
        finish_reason="stop",
        usage=_usage(messages, text),
        index=0,
        tool_use=None,
    )


class EvidenceModelLLM(CustomLLM):
    """litellm handler: deterministic, in-process, answers only from the prompt's evidence."""

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        model: str = kwargs["model"]
        messages: list[Any] = kwargs["messages"]
        response: ModelResponse = kwargs["model_response"]
        text = _answer_for(model, messages)
        response.choices[0].message.content = text
        response.choices[0].finish_reason = "stop"
        response.model = model
        usage = _usage(messages, text)
        response.usage = LiteLLMUsage(  # type: ignore[attr-defined]
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            total_tokens=usage["total_tokens"],
        )
        return response

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        return _stream_chunks(kwargs["model"], kwargs["messages"])

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.completion(*args, **kwargs)

    # litellm iterates what astreaming returns with ``async for``: an async generator, not the
    # coroutine its base class annotation suggests.
    async def astreaming(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        for chunk in _stream_chunks(kwargs["model"], kwargs["messages"]):
            yield chunk


def register_offline_provider() -> None:
    """Make ``clinvault/...`` models available through litellm; calling again changes nothing."""
    with _REGISTRATION:
        if any(item["provider"] == PROVIDER for item in litellm.custom_provider_map):
            return
        litellm.custom_provider_map = [
            *litellm.custom_provider_map,
            {"provider": PROVIDER, "custom_handler": EvidenceModelLLM()},
        ]
