"""Opens the ingestion pipeline with the backends the settings name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from clinvault.access import AccessStore
from clinvault.index.factory import open_embedder, open_index
from clinvault.ingest.care_team import CareTeamRecorder
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.phi import build_detector
from clinvault.settings import Settings
from clinvault.vault import Vault


@dataclass
class OpenPipeline(IngestPipeline):
    closers: list[Callable[[], None]] = field(default_factory=list)
    """Further resources the pipeline owns (the care-team access store), closed last."""

    def close(self) -> None:
        self.index.close()
        self.vault.close()
        for close in self.closers:
            close()


def open_pipeline(settings: Settings) -> OpenPipeline:
    vault = Vault.open(settings)
    embedder = open_embedder(settings)
    index = open_index(settings, embedder.dimension)
    detector = build_detector(settings.phi) if settings.ingest.detect_phi else None
    access_store = AccessStore.open(settings, vault.keys)
    return OpenPipeline(
        settings=settings,
        vault=vault,
        embedder=embedder,
        index=index,
        notes=NoteScrubber(detector),
        care_team=CareTeamRecorder(access_store),
        closers=[access_store.close],
    )
