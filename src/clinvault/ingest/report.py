"""What an ingest did, for the CLI, the demo and tests. Holds no PHI: places, types, counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from clinvault.fhir.sources import BadInput, SkippedEntry, SkippedFile, SourceItem, SourceResource

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_UNUSABLE = 2


class Outcome(StrEnum):
    """What became of a rejected input: only ``QUARANTINED`` inputs were kept (sealed)."""

    UNREADABLE = "unreadable"
    """Not parsed into a resource (malformed JSON, wrong type): reported, nothing kept."""
    QUARANTINED = "quarantined"
    """A resource that failed validation: sealed in the vault's quarantine."""
    CHUNK_REFUSED = "chunk-refused"
    """A chunk the leak gate refused: not indexed (counted as ``chunks_refused``)."""


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    resource_type: str
    message: str
    outcome: Outcome = Outcome.UNREADABLE
    """Defaults to the outcome that keeps nothing, so no problem is counted as kept unless
    its caller quarantined it."""


@dataclass
class IngestReport:
    resources_seen: int = 0
    resources_stored: int = 0
    resources_unchanged: int = 0
    patients: int = 0
    chunks_indexed: int = 0
    chunks_refused: int = 0
    rejected: list[Problem] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)

    def take_source(self, item: SourceItem) -> SourceResource | None:
        """Count one item a reader yielded: a skipped file, a skipped entry or unusable input
        is recorded here (``None``); a resource is counted as seen and handed back."""
        if isinstance(item, SkippedFile):
            self.skipped_files.append((str(item.path), item.reason))
        elif isinstance(item, SkippedEntry):
            self.notices.append(f"{item.where}: {item.reason}")
        elif isinstance(item, BadInput):
            self.rejected.append(Problem(item.where, "-", item.message))
        else:
            self.resources_seen += 1
            return item
        return None

    def count(self, outcome: Outcome) -> int:
        return sum(1 for problem in self.rejected if problem.outcome is outcome)

    @property
    def quarantined(self) -> int:
        """Inputs sealed in the vault's quarantine by this ingest."""
        return self.count(Outcome.QUARANTINED)

    def summary(self) -> list[tuple[str, int]]:
        """The counts the CLI prints, each rejected input counted once under its outcome."""
        return [
            ("resources read", self.resources_seen),
            ("resources stored (new or changed)", self.resources_stored),
            ("resources unchanged", self.resources_unchanged),
            ("patients updated", self.patients),
            ("chunks indexed", self.chunks_indexed),
            ("chunks refused by the leak gate", self.chunks_refused),
            ("rejected (quarantined)", self.quarantined),
            ("rejected (unreadable, nothing kept)", self.count(Outcome.UNREADABLE)),
            ("files skipped (no input format)", len(self.skipped_files)),
        ]

    @property
    def exit_status(self) -> int:
        if self.resources_seen == 0 and self.rejected:
            return EXIT_UNUSABLE
        return EXIT_REJECTED if self.rejected or self.chunks_refused else EXIT_OK
