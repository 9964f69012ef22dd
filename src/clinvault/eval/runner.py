"""Running a dataset through the ask pipeline (the chat service's code path, principal
included) and scoring every item.

    scan the index (leaks, chunk texts) ─► prepare eval users ─► ask each item through
    AskService with a prompt-recording LLM ─► ItemOutcome ─► scores ─► RunResult
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinvault.access import AccessStore
from clinvault.ask import AskResult, AskService
from clinvault.ask.outcomes import failure_of
from clinvault.errors import ClinvaultError
from clinvault.eval.arms import PSEUDONYMIZED, Arm
from clinvault.eval.dataset import TOKEN_ASKERS, EvalItem
from clinvault.eval.identifiers import patient_matcher
from clinvault.eval.metrics.aggregate import Figures, aggregate, latency_figures
from clinvault.eval.metrics.privacy import leaked_kinds
from clinvault.eval.metrics.scoring import ITEM_METRICS, Scores, score_item
from clinvault.eval.outcome import PROBE_UNAVAILABLE, ItemOutcome
from clinvault.eval.principals import EVAL_USERS, prepare_principals
from clinvault.eval.recording_llm import RecordingLLM
from clinvault.eval.token_probes import TokenProbes
from clinvault.index.base import VectorIndex
from clinvault.llm import LLMClient
from clinvault.llm.clients import open_llm_client
from clinvault.model import Chunk
from clinvault.settings import Settings
from clinvault.vault import Vault
from clinvault.vault.identifiers import IdentifierMatcher

OnItem = Callable[[EvalItem], None]


@dataclass
class RunResult:
    items: list[EvalItem]
    outcomes: list[ItemOutcome]
    scores: list[Scores]
    overall: Figures
    run: dict[str, Any] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)


@dataclass
class IndexScan:
    chunks: dict[str, Chunk]
    leaking_chunks: int
    scanned_chunks: int

    @property
    def leak_rate(self) -> float | None:
        return self.leaking_chunks / self.scanned_chunks if self.scanned_chunks else None


def scan_index(index: VectorIndex, matchers: dict[str, IdentifierMatcher]) -> IndexScan:
    """Every chunk of the evaluated patients, and how many hold one of their identifiers."""
    chunks: dict[str, Chunk] = {}
    leaking = 0
    for token, matcher in matchers.items():
        for chunk in index.scroll(token):
            chunks[chunk.chunk_id] = chunk
            if matcher.find(chunk.text):
                leaking += 1
    return IndexScan(chunks, leaking, len(chunks))


class EvalRunner:
    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLMClient | None = None,
        top_k: int | None = None,
        truth: dict[str, dict[str, Any]] | None = None,
        arm: Arm = PSEUDONYMIZED,
    ) -> None:
        """``llm`` replaces the client ``llm.client`` names; either way the arm's ask service
        runs its egress guard in front of it."""
        self._settings = settings
        self._arm = arm
        self._llm = RecordingLLM(llm if llm is not None else open_llm_client(settings.llm))
        self._top_k = top_k or settings.retrieval.top_k
        self._truth = truth or {}
        self._reference_cache: _References | None = None

    def _references(self, vault: Vault) -> _References:
        if self._reference_cache is None:
            self._reference_cache = _References(vault)
        return self._reference_cache

    def run(self, items: Sequence[EvalItem], on_item: OnItem | None = None) -> RunResult:
        with self._arm.open_runtime(self._settings, self._llm) as runtime:
            vault = runtime.vault
            probes = TokenProbes(self._settings.auth, runtime.keys, runtime.audit_log)
            patients = {item.patient for item in items}
            tokens = {p: vault.patient_token(p) for p in patients}
            known = {p: t for p, t in tokens.items() if vault.has_patient(t)}
            matchers = {t: patient_matcher(vault, t, self._truth.get(p)) for p, t in known.items()}
            self._reference_cache = None
            self._prepare_users(runtime.access_store, known)
            scan = scan_index(runtime.index, matchers)
            service = self._arm.ask_service(runtime)
            outcomes = []
            for item in items:
                token = tokens[item.patient]
                principal = self._principal(probes, item)
                outcomes.append(
                    self._ask(
                        service, vault, item, principal, token, matchers.get(token), scan.chunks
                    )
                    if isinstance(principal, str)
                    else principal
                )
                if on_item is not None:
                    on_item(item)
        return self._result(list(items), outcomes, scan)

    def _prepare_users(self, store: AccessStore, patients: dict[str, str]) -> None:
        prepare_principals(store, patients)

    def _ask(
        self,
        service: AskService,
        vault: Vault,
        item: EvalItem,
        principal: str,
        token: str,
        matcher: IdentifierMatcher | None,
        chunks: dict[str, Chunk],
    ) -> ItemOutcome:
        self._llm.take()
        try:
            result = service.ask(
                principal,
                item.patient,
                item.question,
                purpose=item.purpose,
                top_k=self._top_k,
            )
        except ClinvaultError as exc:
            failure = failure_of(exc)
            return self._failed(item, failure.status, failure.reason, matcher)
        return self._answered(vault, item, token, result, matcher, chunks)

    def _principal(self, probes: TokenProbes, item: EvalItem) -> str | ItemOutcome:
        """Who asks ``item``; a token probe's token goes through the API's verification
        first, and its refusal is the item's outcome."""
        if item.asker not in TOKEN_ASKERS:
            return EVAL_USERS[item.asker]
        check = probes.present(item.asker, EVAL_USERS["clinician"], "clinician")
        return (
            check.subject if check.subject is not None else self._refused_token(item, check.reason)
        )

    def _refused_token(self, item: EvalItem, reason: str | None) -> ItemOutcome:
        """A probe token the API would have refused: nothing was asked, nothing was sent."""
        status: Any = "error" if reason == PROBE_UNAVAILABLE else "refused"
        return ItemOutcome(item.id, status, reason, top_k=self._top_k)

    def _prompt_leaks(self, matcher: IdentifierMatcher | None) -> tuple[str, ...] | None:
        prompts = self._llm.take()
        if not prompts or matcher is None:
            return None
        return tuple(sorted({kind for p in prompts for kind in leaked_kinds(matcher, p)}))

    def _failed(
        self, item: EvalItem, status: Any, reason: str, matcher: IdentifierMatcher | None
    ) -> ItemOutcome:
        return ItemOutcome(
            item.id,
            status,
            reason,
            prompt_leak_kinds=self._prompt_leaks(matcher),
            top_k=self._top_k,
        )

    def _answered(
        self,
        vault: Vault,
        item: EvalItem,
        token: str,
        result: AskResult,
        matcher: IdentifierMatcher | None,
        chunks: dict[str, Chunk],
    ) -> ItemOutcome:
        references = self._references(vault)
        evidence = []
        for citation in result.citations:
            chunk = chunks.get(citation.chunk_id)
            if chunk is not None:
                text = chunk.text if result.pseudonymous else vault.reidentify(token, chunk.text)
                evidence.append(text)
        retrieved = [chunks[c].resource for c, _ in result.retrieved if c in chunks]
        return ItemOutcome(
            item_id=item.id,
            status="not-answerable" if result.outcome == "not-answerable" else "answered",
            answer=result.answer,
            pseudonymous=result.pseudonymous,
            retrieved=tuple(references.of(t) for t in retrieved),
            cited=tuple(references.of(c.resource_token) for c in result.citations),
            cited_evidence=tuple(evidence),
            prompt_leak_kinds=self._prompt_leaks(matcher),
            output_leak_kinds=tuple(leaked_kinds(matcher, result.answer)) if matcher else (),
            latency_ms=sum(result.latency_ms.values()),
            top_k=self._top_k,
        )

    def _result(
        self, items: list[EvalItem], outcomes: list[ItemOutcome], scan: IndexScan
    ) -> RunResult:
        scores = [score_item(item, outcome) for item, outcome in zip(items, outcomes, strict=True)]
        latencies = [o.latency_ms for o in outcomes if o.latency_ms is not None]
        overall = aggregate(scores, ITEM_METRICS)
        overall["index_leak_rate"] = scan.leak_rate
        overall.update(latency_figures(latencies))
        statuses: dict[str, int] = {}
        for outcome in outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        run = {
            "items": len(items),
            "patients": len({i.patient for i in items}),
            "top_k": self._top_k,
            "model": self._settings.llm.model,
            "arm": self._arm.name,
            "embedder": self._settings.index.embedder.backend,
            "statuses": statuses,
            "index_chunks_scanned": scan.scanned_chunks,
        }
        return RunResult(items, outcomes, scores, overall, run, latencies)


class _References:
    """Resource token -> ``Type/id`` (decrypted from the vault, cached per run)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._cache: dict[str, str] = {}

    def of(self, token: str) -> str:
        if token not in self._cache:
            found = self._vault.source_reference(token)
            self._cache[token] = found[1] if found else token
        return self._cache[token]
