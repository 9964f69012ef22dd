"""An ``LLMClient`` wrapper that keeps a copy of every outbound prompt, for leak checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from clinvault.llm import LLMClient, LLMResult, Message


@dataclass
class RecordingLLM:
    """Delegates to ``inner``; ``prompts`` holds the text of each prompt the inner client
    accepted. The ask service's egress guard runs in front of this wrapper: a prompt it
    blocked never reached the model, so it is not recorded."""

    inner: LLMClient
    prompts: list[str] = field(default_factory=list)

    def take(self) -> list[str]:
        """The prompts recorded since the last ``take``."""
        taken, self.prompts = self.prompts, []
        return taken

    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        result = self.inner.complete(messages, deny_values=deny_values)
        self.prompts.append(_text(messages))
        return result

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        yield from self.inner.stream(messages, deny_values=deny_values)
        self.prompts.append(_text(messages))


def _text(messages: Sequence[Message]) -> str:
    return "\n".join(str(m.get("content", "")) for m in messages)
