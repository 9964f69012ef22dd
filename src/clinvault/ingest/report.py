"""What an ingest did, for the CLI, the demo and tests. Holds no PHI: places, types, counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_UNUSABLE = 2


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    resource_type: str
    message: str


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

    @property
    def exit_status(self) -> int:
        if self.resources_seen == 0 and self.rejected:
            return EXIT_UNUSABLE
        return EXIT_REJECTED if self.rejected or self.chunks_refused else EXIT_OK
