"""The shipped ingest always runs the leak gate: nothing a caller passes can switch it off."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.ingest.report import IngestReport
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault import PatientContext

PATIENT = {
    "resourceType": "Patient",
    "id": "p-2002",
    "name": [{"family": "Okafor", "given": ["Chidi"]}],
    "birthDate": "1960-03-05",
}
NOTE = {
    "resourceType": "Observation",
    "id": "obs-2",
    "status": "final",
    "subject": {"reference": "Patient/p-2002"},
    "code": {"text": "Progress note"},
    "note": [{"text": "Chidi Okafor, DOB 1960-03-05, doing well."}],
}


class BlindScrubber(NoteScrubber):
    """An integrator's scrubber that misses everything: notes pass through as written."""

    def __init__(self) -> None:
        super().__init__(None)

    def scrub_all(self, ctx: PatientContext, texts: Sequence[str]) -> list[str]:
        return list(texts)


def _ingest(settings: Settings, folder: Path, notes: NoteScrubber) -> tuple[IngestReport, str]:
    with Runtime.open(settings) as runtime:
        pipeline = IngestPipeline(
            settings=settings,
            vault=runtime.vault,
            embedder=runtime.embedder,
            index=runtime.index,
            notes=notes,
        )
        report = pipeline.run([folder])
        indexed = json.dumps([c.payload() for c in runtime.index.scroll()])
    return report, indexed


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "records"
    out.mkdir()
    for resource in (PATIENT, NOTE):
        (out / f"{resource['resourceType']}-{resource['id']}.json").write_text(json.dumps(resource))
    return out


def test_a_scrubber_that_misses_everything_cannot_open_the_gate(
    fast_settings: Settings, folder: Path
) -> None:
    report, indexed = _ingest(fast_settings, folder, BlindScrubber())
    assert report.chunks_refused >= 1
    assert any("leak gate refused" in p.message for p in report.rejected)
    for value in ("Okafor", "Chidi", "1960-03-05", "p-2002"):
        assert value not in indexed, value


def test_with_a_working_scrubber_nothing_is_refused(fast_settings: Settings, folder: Path) -> None:
    """The control: the refusal above comes from what the blind scrubber let through."""
    report, indexed = _ingest(fast_settings, folder, NoteScrubber(None))
    assert report.chunks_refused == 0
    assert "doing well" in indexed


def test_no_constructor_argument_selects_or_skips_the_gate(fast_settings: Settings) -> None:
    names = {f.name for f in dataclasses.fields(IngestPipeline)}
    assert not {n for n in names if any(w in n for w in ("gate", "privacy", "leak", "admit"))}
    with Runtime.open(fast_settings) as runtime, pytest.raises(TypeError):
        IngestPipeline(  # type: ignore[call-arg]
            settings=fast_settings,
            vault=runtime.vault,
            embedder=runtime.embedder,
            index=runtime.index,
            privacy=object(),
        )
