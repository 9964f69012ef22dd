"""The ``ask`` audit record: one per question, whatever happened to it.

Only tokens, codes, digests and numbers go in; the question is sealed by the log. The
``related_response_id`` links the record to the access decision that preceded it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from clinvault.access import Decision
from clinvault.audit import AuditEvent, Citation, Outcome, RetrievedChunk
from clinvault.llm.base import LLMResult, Message


def sha256_of_messages(messages: Sequence[Message]) -> str:
    canonical = json.dumps(
        list(messages), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def sha256_of_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class AskTrace:
    """What an ask accumulated by the time it ended, however it ended."""

    response_id: str
    principal: str
    purpose: str
    patient: str | None
    question: str
    decision: Decision | None = None
    retrieved: list[RetrievedChunk] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    prompt_sha256: str | None = None
    output_sha256: str | None = None
    llm: LLMResult | None = None
    model: str | None = None
    route: str | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    vault_audit_ref: str | None = None
    """The remote vault's audit record of the answer's re-identification, once revealed."""

    def record_llm(self, result: LLMResult) -> None:
        """The route that answered, the provider's model id, tokens and cost go to the audit."""
        self.llm = result
        self.model = model_label(result)
        self.route = result.route or result.provider

    def event(self, outcome: Outcome, reason: str) -> AuditEvent:
        decision = self.decision
        usage = self.llm.usage if self.llm is not None else None
        break_glass = decision is not None and decision.break_glass
        return AuditEvent(
            kind="ask",
            principal=self.principal,
            outcome=outcome,
            reason=reason,
            role=None if decision is None or decision.role is None else decision.role.value,
            purpose=self.purpose,
            patient=self.patient,
            question=self.question,
            model=self.model,
            route=self.route,
            retrieved=tuple(self.retrieved),
            citations=tuple(self.citations),
            prompt_sha256=self.prompt_sha256,
            output_sha256=self.output_sha256,
            latency_ms=sum(self.latency_ms.values()),
            latency_breakdown=_rounded(self.latency_ms),
            prompt_tokens=None if usage is None else usage.prompt_tokens,
            completion_tokens=None if usage is None else usage.completion_tokens,
            cost_usd=None if self.llm is None else self.llm.cost_usd,
            break_glass=break_glass,
            break_glass_reason=decision.break_glass_reason if break_glass and decision else None,
            response_id=self.response_id,
            related_response_id=None if decision is None else decision.audit_response_id,
            vault_audit_ref=self.vault_audit_ref,
        )


def model_label(result: LLMResult) -> str:
    """The configured model, with the provider's own model id when it names another one:
    ``openai/fake-model``, ``azure/prod-deployment (gpt-4o-2024-08-06)``."""
    served = result.served_model
    if not served or result.model.endswith(served):
        return result.model
    return f"{result.model} ({served})"


def _rounded(latency: Mapping[str, float]) -> dict[str, float]:
    return {stage: round(millis, 3) for stage, millis in latency.items()}
