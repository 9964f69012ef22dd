"""LLM doubles for the eval tests: the offline evidence model called in process (no litellm),
and a model that invents numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.llm import EgressGuard, LLMResult, Message, Usage
from clinvault.llm.evidence_model import answer
from clinvault.llm.prompt import parse_prompt


@dataclass
class InProcessEvidenceLLM:
    """The offline evidence model behind the real egress guard, without litellm."""

    guard: EgressGuard = field(default_factory=EgressGuard)

    def reply(self, messages: Sequence[Message]) -> str:
        prompt = parse_prompt(messages)
        return answer(prompt.question, prompt.evidence)

    def complete(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> LLMResult:
        self.guard.check(messages, deny_values=deny_values)
        return LLMResult(self.reply(messages), "clinvault/evidence", "clinvault", Usage(1, 1), 0.0)

    def stream(
        self, messages: Sequence[Message], *, deny_values: Sequence[str] = ()
    ) -> Iterator[str]:
        yield self.complete(messages, deny_values=deny_values).text


_NUMBER = re.compile(r"(?<![\w.\[-])(\d+(?:\.\d+)?)(?![\w\]])")


@dataclass
class NumberInventingLLM(InProcessEvidenceLLM):
    """Answers like the evidence model, but every stated number is off by 7.3: the cited
    evidence no longer supports the answer."""

    def reply(self, messages: Sequence[Message]) -> str:
        text = super().reply(messages)
        return _NUMBER.sub(lambda m: f"{float(m.group(1)) + 7.3:g}", text)
