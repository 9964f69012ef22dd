"""The ablation's "pseudonymization off" arm: for a verified synthetic cohort only.

Everything here requires a :class:`SyntheticCohort`, which only
``open_synthetic_cohort`` builds after checking the folder is ``clinvault synth`` output.
No setting selects any of it: production ingest and ask always pseudonymize.

- ingest: resources are still run through the pseudonymizer (so the vault learns the
  same identifiers as in the other arm) but the index gets the original resources and note
  texts, and no chunk is refused;
- ask: the egress guard lets every prompt through and re-identification returns text
  unchanged (it is not pseudonymized), in the answer and in the evidence the metrics read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinvault.access import AccessStore
from clinvault.ask import AskService, open_ask_service
from clinvault.eval.ablation.cohort import SyntheticCohort
from clinvault.index import open_embedder, open_index
from clinvault.ingest.care_team import CareTeamRecorder
from clinvault.ingest.leak_gate import LeakGate, Refusal
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.service import OpenPipeline
from clinvault.llm import LLMClient, Message, PromptGuard
from clinvault.model import Chunk
from clinvault.settings import Settings
from clinvault.vault import PatientContext, Vault
from clinvault.vault.pseudonymizer import Pseudonymizer


def _require(cohort: SyntheticCohort) -> None:
    if not isinstance(cohort, SyntheticCohort):
        raise TypeError("pseudonymization can be switched off for a synthetic cohort only")


@dataclass(frozen=True)
class _OriginalResources:
    cohort: SyntheticCohort

    def __post_init__(self) -> None:
        _require(self.cohort)

    def resource(self, pseudonymizer: Pseudonymizer, resource: dict[str, Any]) -> dict[str, Any]:
        pseudonymizer.pseudonymize(resource)  # the vault learns the identifiers
        return resource

    def admit(
        self, ctx: PatientContext, chunks: Sequence[Chunk], gate: LeakGate
    ) -> tuple[list[Chunk], list[Refusal]]:
        return list(chunks), []


class _OriginalNotes(NoteScrubber):
    def __init__(self) -> None:
        super().__init__(None)

    def scrub_all(self, ctx: PatientContext, texts: Sequence[str]) -> list[str]:
        return list(texts)


class _OpenGuard:
    def check(self, messages: Sequence[Message], *, deny_values: Sequence[str]) -> None:
        return None


class _UnchangedVault(Vault):
    """Answers and evidence are already in the clear: re-identifying them changes nothing
    (shifting "shifted" dates back would corrupt the real ones)."""

    def reidentify(self, patient_tok: str, text: str, *, resolve_resources: bool = True) -> str:
        return text


@dataclass(frozen=True)
class Unpseudonymized:
    cohort: SyntheticCohort
    name: str = "unpseudonymized"

    def __post_init__(self) -> None:
        _require(self.cohort)

    def open_pipeline(self, settings: Settings) -> OpenPipeline:
        vault = Vault.open(settings)
        embedder = open_embedder(settings)
        access_store = AccessStore.open(settings, vault.keys)
        return OpenPipeline(
            settings=settings,
            vault=vault,
            embedder=embedder,
            index=open_index(settings, embedder.dimension),
            notes=_OriginalNotes(),
            care_team=CareTeamRecorder(access_store),
            privacy=_OriginalResources(self.cohort),
            closers=[access_store.close],
        )

    def open_vault(self, settings: Settings) -> Vault:
        return _UnchangedVault.open(settings)

    def open_service(self, settings: Settings, llm: LLMClient) -> AskService:
        """``open_ask_service`` with the unchanged vault."""
        return open_ask_service(settings, llm=llm, vault=_UnchangedVault.open(settings))

    def guard(self) -> PromptGuard:
        return _OpenGuard()
