"""``AskService.ask``: one question about one patient, end to end.

    authorize (audited) ─► pseudonymize the question ─► retrieve (patient-filtered)
      ─► prompt (pseudonymized chunks only) ─► LLM through the egress guard
      ─► check citations ─► re-identify (authorized principals only) ─► audit

Nothing is computed for a refused principal. Every outcome (answered, refused, blocked by
the guard, error) appends one ``ask`` audit record; errors are re-raised, never swallowed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from clinvault.access import AccessControl, Decision
from clinvault.access.consent import ConsentDeny
from clinvault.access.control import INVALID_USER_NAME, consent_citation
from clinvault.access.principal import USER_NAME
from clinvault.access.refs import patient_reference
from clinvault.ask.audit_events import AskTrace, sha256_of_messages, sha256_of_text
from clinvault.ask.citations import CitationCheck, check_citations, says_not_answered
from clinvault.ask.outcomes import AskInputError, failure_of
from clinvault.ask.patient_checks import InProcessChecks, PatientChecks
from clinvault.ask.reidentify import Presented, pseudonymous, reidentified, reveal_request
from clinvault.ask.result import AskResult, AskStream
from clinvault.ask.retrieval import Retrieval, Retriever
from clinvault.audit import AuditLog, Citation, RetrievedChunk
from clinvault.errors import AccessDenied, InputError
from clinvault.llm import (
    EgressGuard,
    LLMClient,
    LLMResult,
    LLMStream,
    Message,
    PromptGuard,
    Usage,
    build_messages,
)
from clinvault.llm.guarded import GuardedLLM
from clinvault.llm.stream_reidentify import StreamingReidentifier
from clinvault.model import Chunk
from clinvault.vault import Vault
from clinvault.vault.client import RevealRequest

__all__ = ["AskInputError", "AskService"]


@dataclass
class Stopwatch:
    timer: Callable[[], float] = time.perf_counter
    laps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = self.timer()
        try:
            yield
        finally:
            self.laps[name] = self.laps.get(name, 0.0) + (self.timer() - started) * 1000


@dataclass(frozen=True, slots=True)
class Prepared:
    """An authorized ask, ready for the model: its evidence and the guarded prompt."""

    patient: str
    retrieval: Retrieval
    chunks: list[Chunk]
    messages: list[Message]
    denied: list[str]


class AskService:
    def __init__(
        self,
        *,
        vault: Vault,
        retriever: Retriever,
        llm: LLMClient,
        access: AccessControl,
        audit_log: AuditLog,
        top_k: int = 8,
        model_label: str = "unknown",
        timer: Callable[[], float] = time.perf_counter,
        checks: PatientChecks | None = None,
    ) -> None:
        """``llm`` is any client; every prompt passes this service's egress guard before the
        client sees it, with deny values the service computes from the vault. ``checks``:
        where Consent and the prompt's screening for real values come from (default: the
        vault in process; a remote vault's own screening, see :mod:`clinvault.ask.patient_checks`)."""
        self._vault = vault
        self._checks: PatientChecks = checks or InProcessChecks(vault)
        self._retriever = retriever
        self._llm = GuardedLLM(llm, self._egress_guard())
        self._access = access
        self._audit = audit_log
        self._top_k = top_k
        self._model_label = model_label
        self._timer = timer

    def _egress_guard(self) -> PromptGuard:
        """The guard in front of the model. Only the evaluation's privacy ablation
        (``clinvault.eval.ablation``, verified synthetic cohorts in throwaway homes; an
        import contract keeps the API, the CLI's ask/serve and ingest from importing it)
        replaces it."""
        return EgressGuard()

    def ask(
        self,
        principal: str,
        patient_ref: str,
        question: str,
        *,
        purpose: str = "TREAT",
        break_glass_reason: str | None = None,
        top_k: int | None = None,
        stream: bool = False,
    ) -> AskResult:
        """Answer ``question`` about ``patient_ref`` (``Patient/<id>`` or ``<id>``) for ``principal``.

        Raises ``AccessDenied`` (with ``reason``) when refused, ``InputError`` for an unknown
        patient, ``EgressBlocked`` when the prompt would carry PHI, ``LLMError`` when no model
        answers; each is audited first.
        """
        trace, watch, decision = self._authorize(
            principal, patient_ref, question, purpose, break_glass_reason
        )
        with self._audited(trace):
            prepared = self._prepare(trace, question, top_k or self._top_k, watch)
            with watch.stage("llm"):
                result = self._complete(prepared, stream)
            return self._finish(trace, decision, prepared, result, watch)

    def ask_stream(
        self,
        principal: str,
        patient_ref: str,
        question: str,
        *,
        purpose: str = "TREAT",
        break_glass_reason: str | None = None,
        top_k: int | None = None,
    ) -> AskStream:
        """Like :meth:`ask`, but the answer arrives piece by piece as the model writes it.

        Authorization, retrieval and the egress guard run before this returns (and raise as
        in :meth:`ask`). Pieces are re-identified for authorized principals as they arrive,
        holding back only a token or date split across pieces; researchers get the model's
        pieces as written (tokens, shifted dates). Once the stream is exhausted, ``result``
        holds the checked :class:`AskResult` (citations checked on the whole text: nothing
        cited that was not retrieved) and the ask's one audit record is written. A stream
        closed (or dropped) before its end is audited once as ``aborted``; a failure while
        streaming once as ``error``.
        """
        trace, watch, decision = self._authorize(
            principal, patient_ref, question, purpose, break_glass_reason
        )
        with self._audited(trace):
            prepared = self._prepare(trace, question, top_k or self._top_k, watch)
            pieces = self._llm.stream(prepared.messages, deny_values=prepared.denied)
        source = self._streamed(trace, decision, prepared, pieces, watch)
        next(source)  # started: from here on, closing it at any point is audited
        return AskStream(source, trace.response_id)

    # -- the pipeline ------------------------------------------------------------------------------

    def _authorize(
        self,
        principal: str,
        patient_ref: str,
        question: str,
        purpose: str,
        break_glass_reason: str | None,
    ) -> tuple[AskTrace, Stopwatch, Decision]:
        watch = Stopwatch(self._timer)
        trace = AskTrace(
            response_id=self._audit.new_response_id(),
            principal=principal if USER_NAME.fullmatch(principal) else INVALID_USER_NAME,
            purpose=purpose if USER_NAME.fullmatch(purpose) else "invalid-purpose",
            patient=None,
            question=question,
            latency_ms=watch.laps,
        )
        try:
            patient_ref = patient_reference(patient_ref)
        except InputError:
            self._audit.append(trace.event("error", "invalid-patient-reference"))
            raise
        trace.patient = self._vault.patient_token(patient_ref)
        if self._vault.is_erased(trace.patient):  # erased: nothing to authorize or retrieve
            self._audit.append(trace.event("refused", "patient-erased"))
            raise AccessDenied("patient-erased", "access refused: the patient's data was erased")
        with watch.stage("authorize"):
            decision = self._access.authorize(
                principal,
                patient_ref,
                purpose,
                patient_token=trace.patient,
                break_glass_reason=break_glass_reason,
                consents=self._consents(trace.patient),
            )
        trace.decision = decision
        trace.citations = list(consent_citation(decision))
        if not decision.allowed:
            self._audit.append(trace.event("refused", decision.reason.value))
            raise AccessDenied(decision.reason.value, f"access refused: {decision.reason.value}")
        return trace, watch, decision

    def _consents(self, patient: str) -> list[ConsentDeny]:
        """The patient's consent denials, read before anything is retrieved."""
        return self._checks.consents(patient)

    @contextmanager
    def _audited(self, trace: AskTrace) -> Iterator[None]:
        """Any failure inside appends the ask's one audit record (outcome and reason from
        :func:`clinvault.ask.outcomes.failure_of`), then propagates."""
        try:
            yield
        except Exception as exc:
            failure = failure_of(exc)
            self._audit.append(trace.event(failure.status, failure.reason))
            raise

    def _prepare(self, trace: AskTrace, question: str, top_k: int, watch: Stopwatch) -> Prepared:
        patient = trace.patient
        if patient is None:
            raise ValueError("the patient token is set before the answer is computed")
        with watch.stage("retrieval"):
            if not question.strip():
                raise AskInputError("empty-question", "the question is empty")
            if not self._vault.has_patient(patient):
                raise AskInputError("unknown-patient", "no such patient in the vault")
            pseudonymous_question = self._vault.scan(patient, question)
            retrieval = self._retriever.retrieve(patient, pseudonymous_question, top_k=top_k)
            denied = self._checks.deny_values(patient)
        trace.retrieved = [RetrievedChunk(e.chunk.chunk_id, e.score) for e in retrieval.evidence]
        chunks = [e.chunk for e in retrieval.evidence]
        messages = build_messages(pseudonymous_question, chunks)
        trace.prompt_sha256 = sha256_of_messages(messages)
        self._checks.screen(patient, messages)
        return Prepared(patient, retrieval, chunks, messages, denied)

    def _finish(
        self,
        trace: AskTrace,
        decision: Decision,
        prepared: Prepared,
        result: LLMResult,
        watch: Stopwatch,
    ) -> AskResult:
        patient = prepared.patient
        trace.record_llm(result)
        trace.output_sha256 = sha256_of_text(result.text)
        check = check_citations(result.text, prepared.chunks)
        trace.citations = [Citation(c.chunk.chunk_id, c.chunk.resource) for c in check.cited]
        with watch.stage("reidentify"):
            shown = (
                reidentified(self._vault, patient, check, self._reveal_request(trace, decision))
                if decision.reidentify
                else pseudonymous(check)
            )
        trace.vault_audit_ref = shown.vault_audit_ref
        unanswerable = says_not_answered(check.answer) and not check.cited
        outcome = "not-answerable" if unanswerable else "answered"
        if unanswerable:
            reason = "not-answerable"
        else:
            reason = "grounded" if check.grounded else "citations-flagged"
        with watch.stage("audit"):
            self._audit.append(trace.event("answered", reason))
        return self._result(
            trace, decision, prepared.retrieval, result, check, shown, outcome, watch
        )

    @staticmethod
    def _reveal_request(trace: AskTrace, decision: Decision) -> RevealRequest:
        return reveal_request(trace.response_id, trace.principal, trace.purpose, decision)

    def _reveal_piece(self, patient: str, request: RevealRequest, text: str) -> str:
        """One streamed piece re-identified (a vault service audits the response once)."""
        return self._vault.reveal(patient, [text], request=request).texts[0]

    def _complete(self, prepared: Prepared, stream: bool) -> LLMResult:
        messages, denied = prepared.messages, prepared.denied
        if not stream:
            return self._llm.complete(messages, deny_values=denied)
        started = self._timer()
        pieces = self._llm.stream(messages, deny_values=denied)
        text = "".join(pieces)
        return self._stream_result(pieces, text, started)

    def _stream_result(self, pieces: Iterator[str], text: str, started: float) -> LLMResult:
        """What the client reported about a finished stream, or what is known without it."""
        if isinstance(pieces, LLMStream) and pieces.result is not None:
            return pieces.result
        return LLMResult(
            text=text,
            model=self._model_label,
            provider="stream",
            usage=Usage(0, 0),
            latency_s=self._timer() - started,
        )

    def _streamed(
        self,
        trace: AskTrace,
        decision: Decision,
        prepared: Prepared,
        pieces: Iterator[str],
        watch: Stopwatch,
    ) -> Generator[str, None, AskResult]:
        """The pieces as shown to the principal. The first (empty) piece only starts the
        generator, so that a close before the model's first piece is audited too."""
        reidentifier = (
            StreamingReidentifier(
                partial(self._reveal_piece, prepared.patient, self._reveal_request(trace, decision))
            )
            if decision.reidentify
            else None
        )
        started = self._timer()
        received: list[str] = []
        try:
            yield ""
            with self._audited(trace):
                for piece in pieces:
                    received.append(piece)
                    shown = reidentifier.feed(piece) if reidentifier else piece
                    if shown:
                        yield shown
                tail = reidentifier.finish() if reidentifier else ""
                if tail:
                    yield tail
                watch.laps["llm"] = (self._timer() - started) * 1000
                result = self._stream_result(pieces, "".join(received), started)
                return self._finish(trace, decision, prepared, result, watch)
        except GeneratorExit:
            watch.laps["llm"] = (self._timer() - started) * 1000
            trace.output_sha256 = sha256_of_text("".join(received))
            try:
                self._audit.append(trace.event("aborted", "stream-abandoned"))
            finally:
                close = getattr(pieces, "close", None)
                if callable(close):
                    close()  # hangs up on the model: an abandoned answer is not generated on
            raise

    def _result(
        self,
        trace: AskTrace,
        decision: Decision,
        retrieval: Retrieval,
        llm: LLMResult,
        check: CitationCheck,
        shown: Presented,
        outcome: str,
        watch: Stopwatch,
    ) -> AskResult:
        return AskResult(
            response_id=trace.response_id,
            answer=shown.answer,
            citations=shown.citations,
            pseudonymous=not decision.reidentify,
            outcome=outcome,
            grounded=check.grounded,
            invalid_citations=check.invalid_numbers,
            uncited_statements=shown.uncited_statements,
            intent=retrieval.intent.kind,
            model=llm.model,
            provider=llm.provider,
            retrieved=[(r.chunk_id, r.score) for r in trace.retrieved],
            latency_ms=dict(watch.laps),
            prompt_tokens=llm.usage.prompt_tokens,
            completion_tokens=llm.usage.completion_tokens,
            route=llm.route,
            served_model=llm.served_model,
            cost_usd=llm.cost_usd,
        )
