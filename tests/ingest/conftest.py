from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from clinvault.ingest.pipeline import IngestPipeline
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """Embedded defaults, with the hashing embedder so pipeline tests stay fast."""
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(
                update={
                    "embedder": settings.index.embedder.model_copy(update={"backend": "hashing"})
                }
            )
        }
    )


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    write_cohort(SynthConfig(patients=3, seed=11), out, force=True)
    return out


def truth(cohort: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (cohort / "truth.jsonl").read_text().splitlines()]


def home_files_contain(home: Path, needles: list[str], skip: Path) -> list[tuple[str, str]]:
    """Files under ``home`` holding a needle. Needles under 5 characters are left out: a
    short string occurs in megabytes of ciphertext by chance (they are checked in text)."""
    hits = []
    patterns = [
        (
            n.lower().encode(),
            n,
            re.compile(rb"(?<![a-z0-9])" + re.escape(n.lower().encode()) + rb"(?![a-z0-9])"),
        )
        for n in needles
        if len(n) >= 5 and not re.fullmatch(r"[0-9a-fA-F-]+", n)  # hex occurs in hashes by chance
    ]
    for path in home.rglob("*"):
        if path.is_file() and path != skip and "cohort" not in path.parts:
            blob = path.read_bytes().lower()
            hits += [
                (path.name, n)
                for low, n, pattern in patterns
                if low in blob and pattern.search(blob)  # substring first: the regex is slow
            ]
    return hits


class OpenPipeline:
    """An ingest pipeline with the runtime that owns its parts (closed by ``close``)."""

    def __init__(self, settings: Settings) -> None:
        self._runtime = Runtime.open(settings)
        self.pipeline: IngestPipeline = self._runtime.ingest_pipeline()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)

    def close(self) -> None:
        self._runtime.close()


def open_pipeline(settings: Settings) -> OpenPipeline:
    return OpenPipeline(settings)
