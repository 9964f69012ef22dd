"""Test doubles of the LLM client: a scripted reply, and a spy that must never be called."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.llm import EgressGuard, LLMResult, Message, Usage


@dataclass
class ScriptedLLM:
    """Answers every prompt with ``reply`` (after the real egress guard), recording prompts."""

    reply: str
    prompts: list[list[Message]] = field(default_factory=list)
    guard: EgressGuard = field(default_factory=EgressGuard)

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        self.guard.check(messages, deny_values=deny_values)
        self.prompts.append(list(messages))
        return LLMResult(self.reply, "scripted/model", "scripted", Usage(3, 4), 0.001)

    def stream(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> Iterator[str]:
        yield self.complete(messages, deny_values=deny_values).text


class ForbiddenLLM:
    """Fails the test if anything reaches the model."""

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        raise AssertionError("the model was called")

    def stream(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> Iterator[str]:
        raise AssertionError("the model was called")
