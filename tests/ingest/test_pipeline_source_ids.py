"""Ingest replaces a Patient's code-like source id wherever its free text repeats it (notes,
narrative, code texts), and keeps a word id's word ("In this example") in notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clinvault.model import Chunk
from clinvault.settings import Settings

from .conftest import open_pipeline


def _records(source_id: str, note: str) -> list[dict[str, Any]]:
    subject = {"reference": f"Patient/{source_id}"}
    return [
        {"resourceType": "Patient", "id": source_id, "gender": "male"},
        {
            "resourceType": "Observation",
            "id": f"{source_id}-bp",
            "status": "cancelled",
            "subject": subject,
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
            "note": [{"text": note}],
            "text": {"status": "additional", "div": f"<div>{note}</div>"},
        },
        {
            "resourceType": "Procedure",
            "id": f"{source_id}-chemo",
            "status": "completed",
            "subject": subject,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "367336001"}]},
            "reasonCode": [{"text": f"DiagnosticReport/{source_id}"}],
        },
    ]


def _ingest(settings: Settings, folder: Path, source_id: str, note: str) -> list[Chunk]:
    folder.mkdir()
    for resource in _records(source_id, note):
        (folder / f"{resource['resourceType']}-{resource['id']}.json").write_text(
            json.dumps(resource)
        )
    # without the PHI detector: the vault's known identifiers alone must do it
    pipeline = open_pipeline(
        settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"detect_phi": False})}
        )
    )
    assert pipeline.notes.detector is None
    try:
        report = pipeline.run([folder])
        assert report.rejected == []
        assert report.chunks_refused == 0
        token = pipeline.vault.patient_token(f"Patient/{source_id}")
        return list(pipeline.index.scroll(token))
    finally:
        pipeline.close()


def _everything(chunks: list[Chunk]) -> str:
    return "\n".join(json.dumps(c.payload()) for c in chunks)


def test_a_short_code_id_is_replaced_in_notes_narrative_and_code_texts(
    fast_settings: Settings, tmp_path: Path
) -> None:
    chunks = _ingest(
        fast_settings, tmp_path / "in", "f201", "Reading for f201 cancelled; F201 to return."
    )
    notes = [c.text for c in chunks if c.kind == "note"]
    procedure = [c.text for c in chunks if c.resource_type == "Procedure"]
    assert notes
    assert procedure
    assert all("Reading for [ID-" in text and "; [ID-" in text for text in notes)
    assert any("DiagnosticReport/[ID-" in text for text in procedure)
    assert "f201" not in _everything(chunks).casefold()


def test_a_word_id_stays_as_a_word_in_notes(fast_settings: Settings, tmp_path: Path) -> None:
    note = "In this example, the blood pressure was not measured."
    chunks = _ingest(fast_settings, tmp_path / "in", "example", note)
    notes = [c.text for c in chunks if c.kind == "note"]
    assert notes
    assert all(note in text for text in notes)
    assert "Patient/example" not in _everything(chunks)
