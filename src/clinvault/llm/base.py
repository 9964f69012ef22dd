"""The LLM side's contracts: the client protocol, its result, and the outbound guard protocol.

The ask pipeline builds messages with :func:`clinvault.llm.prompt.build_messages` and calls an
``LLMClient`` through :class:`clinvault.llm.guarded.GuardedLLM`: the ask service runs the
egress guard (a ``PromptGuard``) itself, with the patient's known identifier values as
``deny_values``, whatever client it was given. ``deny_values`` has no default: a caller
always says which values may not leave.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

Message = dict[str, Any]
"""An OpenAI-style chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class LLMResult:
    text: str
    model: str
    """The configured model route that answered, e.g. ``openai/gpt-4o`` or ``clinvault/evidence``."""
    provider: str
    """The provider litellm resolved for that route (``openai``, ``ollama``, ``clinvault`` ...)."""
    usage: Usage
    latency_s: float
    cost_usd: float | None = None
    """Known cost of the call; ``None`` when litellm has no price for the model."""
    served_model: str | None = None
    """The model name the endpoint reported, when it reported one (the provider's model id)."""
    route: str | None = None
    """The name of the configured route that answered (``default`` for the one-route config)."""


class LLMStream(Iterator[str]):
    """An answer's text pieces as they arrive. Once exhausted, ``result`` holds the whole
    answer with its route, usage and cost (set by the source generator's return value)."""

    def __init__(self, source: Generator[str, None, LLMResult]) -> None:
        self._source = source
        self._pieces: list[str] = []
        self.result: LLMResult | None = None

    def __next__(self) -> str:
        try:
            piece = next(self._source)
        except StopIteration as done:
            self.result = replace(done.value, text="".join(self._pieces))
            raise
        self._pieces.append(piece)
        return piece

    def close(self) -> None:
        self._source.close()


class PromptGuard(Protocol):
    def check(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> None:
        """Return if the messages may leave the process; raise ``EgressBlocked`` otherwise."""


class LLMClient(Protocol):
    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        """Answer ``messages``; ``deny_values`` are the patient's known identifier values."""

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        """Yield the answer's text pieces as they arrive; their concatenation is the answer."""
