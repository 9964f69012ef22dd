"""Test doubles of the LLM client: a scripted reply, and a spy that must never be called.

Neither runs a guard of its own: the ask service puts the egress guard in front of every
client it is given, and these doubles are how the tests see that it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.llm import LLMResult, Message, Usage


@dataclass
class ScriptedLLM:
    """Answers every prompt with ``reply``, recording the prompts that reached it."""

    reply: str
    prompts: list[list[Message]] = field(default_factory=list)

    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        self.prompts.append(list(messages))
        return LLMResult(self.reply, "scripted/model", "scripted", Usage(3, 4), 0.001)

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        yield self.complete(messages, deny_values=deny_values).text


class ForbiddenLLM:
    """Fails the test if anything reaches the model."""

    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        raise AssertionError("the model was called")

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        raise AssertionError("the model was called")
