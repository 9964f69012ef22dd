"""The egress guard around any model client: the one place a prompt leaves the process.

:class:`GuardedLLM` runs the guard over the messages, with the patient's known values that
the *caller* computed (the ask service, from the vault), before the wrapped client sees
them. The ask service wraps every client it is given, so a client (an integrator's own,
a test double) cannot skip the guard by not running one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from clinvault.llm.base import LLMClient, LLMResult, Message, PromptGuard


@dataclass(frozen=True, slots=True)
class GuardedLLM:
    """An ``LLMClient`` that checks every prompt with ``guard`` before ``client`` gets it."""

    client: LLMClient
    guard: PromptGuard

    def complete(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> LLMResult:
        self.guard.check(messages, deny_values=deny_values)
        return self.client.complete(messages, deny_values=deny_values)

    def stream(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> Iterator[str]:
        """Checked now (the whole prompt, before the first piece is asked for)."""
        self.guard.check(messages, deny_values=deny_values)
        return self.client.stream(messages, deny_values=deny_values)
