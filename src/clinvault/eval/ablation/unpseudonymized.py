"""The ablation's "pseudonymization off" arm: for a verified synthetic cohort only.

Everything here requires a :class:`SyntheticCohort`, which only
``open_synthetic_cohort`` builds after checking the folder is ``clinvault synth`` output.
No setting selects any of it: production ingest and ask always pseudonymize.

- ingest: resources are still run through the pseudonymizer (so the vault learns the
  same identifiers as in the other arm) but the index gets the original resources and note
  texts, and no chunk is refused (a subclass of the production pipeline: that one always
  runs the leak gate);
- ask: the ask service's egress guard lets every prompt through (a subclass of
  ``AskService``: the production service always guards) and re-identification returns text
  unchanged (it is not pseudonymized), in the answer and in the evidence the metrics read.

An import contract (``[tool.importlinter]`` in pyproject.toml, run by ``make lint``) keeps
the API, the ask and ingest packages and the CLI's ask, ingest and serve commands from
importing anything under ``clinvault.eval``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from clinvault.ask import AskService
from clinvault.clock import Clock, RandomBytes
from clinvault.eval.ablation.cohort import SyntheticCohort
from clinvault.ingest import stages
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.ingest.stages import PatientBatch
from clinvault.keys import KeyRing
from clinvault.llm import LLMClient, Message, PromptGuard
from clinvault.model import Chunk
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault import PatientContext, Vault


def _require(cohort: SyntheticCohort) -> None:
    if not isinstance(cohort, SyntheticCohort):
        raise TypeError("pseudonymization can be switched off for a synthetic cohort only")


class _OriginalNotes(NoteScrubber):
    def __init__(self) -> None:
        super().__init__(None)

    def scrub_all(self, ctx: PatientContext, texts: Sequence[str]) -> list[str]:
        return list(texts)


class _OriginalTextPipeline(IngestPipeline):
    """Chunks of the original resources and notes, all written (no leak gate)."""

    def _gate(
        self, session: PatientContext, batch: PatientBatch, chunks: list[Chunk]
    ) -> stages.Gated:
        return stages.Gated(passed=list(chunks), refused=[])

    def _index_form(self, session: PatientContext, batch: PatientBatch) -> stages.Pseudonymized:
        pseudo = stages.pseudonymize(session, batch)  # the vault learns the identifiers
        return replace(
            pseudo, resources=tuple(r for _, r in batch.resources), patient=batch.patient
        )


class _OpenGuard:
    def check(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> None:
        return None


class _UnguardedAskService(AskService):
    """The prompts hold the original text by design: the guard would stop every one."""

    def _egress_guard(self) -> PromptGuard:
        return _OpenGuard()


class _UnchangedVault(Vault):
    """Answers and evidence are already in the clear: re-identifying them changes nothing
    (shifting "shifted" dates back would corrupt the real ones)."""

    def reidentify(self, patient_tok: str, text: str, *, resolve_resources: bool = True) -> str:
        return text


def _open_unchanged_vault(
    settings: Settings, keys: KeyRing, clock: Clock | None, random: RandomBytes
) -> Vault:
    return _UnchangedVault.open(settings, keys=keys, clock=clock, random=random)


@dataclass(frozen=True)
class Unpseudonymized:
    cohort: SyntheticCohort
    name: str = "unpseudonymized"

    def __post_init__(self) -> None:
        _require(self.cohort)

    def open_runtime(self, settings: Settings, llm: LLMClient | None) -> Runtime:
        """The runtime with the unchanged vault."""
        return Runtime.open(settings, llm=llm, vault_opener=_open_unchanged_vault)

    def ask_service(self, runtime: Runtime) -> AskService:
        return runtime.ask_service(service=_UnguardedAskService)

    def ingest_pipeline(self, runtime: Runtime) -> IngestPipeline:
        return runtime.ingest_pipeline(notes=_OriginalNotes(), pipeline=_OriginalTextPipeline)
