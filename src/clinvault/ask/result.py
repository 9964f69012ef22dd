"""What :meth:`AskService.ask` returns."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from clinvault.ask.intents import IntentKind


@dataclass(frozen=True, slots=True)
class AnswerCitation:
    n: int
    """The marker number in the answer (``[n]``)."""
    chunk_id: str
    resource_token: str
    reference: str
    """``Type/id`` for principals allowed to re-identify; the resource token otherwise."""
    resource_type: str
    date: str | None
    """Real date when re-identified; the shifted date otherwise."""


@dataclass(frozen=True, slots=True)
class AskResult:
    response_id: str
    answer: str
    citations: list[AnswerCitation]
    pseudonymous: bool
    """True when the answer keeps tokens and shifted dates (researchers, HRESCH)."""
    outcome: str
    """``answered`` or ``not-answerable`` (the records do not answer the question)."""
    grounded: bool
    invalid_citations: list[int]
    uncited_statements: list[str]
    intent: IntentKind
    model: str
    provider: str
    retrieved: list[tuple[str, float]]
    """(chunk id, score) of every evidence chunk, in prompt order."""
    latency_ms: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    route: str | None = None
    """The configured model route that answered (``default`` for the one-route config)."""
    served_model: str | None = None
    """The model id the provider reported."""
    cost_usd: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "response_id": self.response_id,
            "answer": self.answer,
            "citations": [
                {
                    "n": c.n,
                    "reference": c.reference,
                    "resource_type": c.resource_type,
                    "date": c.date,
                    "chunk_id": c.chunk_id,
                }
                for c in self.citations
            ],
            "pseudonymous": self.pseudonymous,
            "outcome": self.outcome,
            "grounded": self.grounded,
            "invalid_citations": self.invalid_citations,
            "uncited_statements": self.uncited_statements,
            "intent": self.intent,
            "model": self.model,
            "provider": self.provider,
            "route": self.route,
            "served_model": self.served_model,
            "cost_usd": self.cost_usd,
            "latency_ms": self.latency_ms,
            "usage": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
            },
        }


class AskStream(Iterator[str]):
    """The answer's text as it is written (re-identified when the principal may see real
    values). Once exhausted, ``result`` is the checked :class:`AskResult`; ``response_id``
    (the audit record's id) is known from the start."""

    def __init__(self, source: Generator[str, None, AskResult], response_id: str) -> None:
        self._source = source
        self.response_id = response_id
        self.result: AskResult | None = None

    def __next__(self) -> str:
        try:
            return next(self._source)
        except StopIteration as done:
            self.result = done.value
            raise

    def close(self) -> None:
        """Stop early; the ask is audited as ``aborted`` (nothing happens once it ended)."""
        self._source.close()
