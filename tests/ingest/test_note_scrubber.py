"""Note scrubbing keeps the patient's own clinical vocabulary that a PHI detector mistakes for a
name ("bee venom"), and still tokenizes the real names next to it."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clinvault.ingest.note_scrubber import ClinicalVocabulary, NoteScrubber
from clinvault.model import Chunk
from clinvault.phi import PhiType, Span
from clinvault.phi.base import DetectionContext
from clinvault.settings import Settings

from .conftest import open_pipeline

PATIENT_ID = "wren-1"
GIVEN, FAMILY = "Rosalind", "Wrenfield"
RELATIVE = "Tobias Marchetti"
ALLERGEN = "Bee venom (substance)"
NOTE = (
    f"Patient {GIVEN} {FAMILY} seen today. Known allergy to bee venom, carries an epinephrine "
    f"pen. Accompanied by her brother {RELATIVE}. Rosalind denies new stings."
)
NAME_TOKEN = re.compile(r"\[NAME-[0-9A-F]{8}\]")


class PhraseDetector:
    """A detector double that reports every listed phrase as a NAME, like a model that
    mistakes an allergen for a person alongside the real names."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._patterns = [re.compile(re.escape(p), re.IGNORECASE) for p in phrases]

    def detect(self, text: str, *, context: DetectionContext | None = None) -> list[Span]:
        spans = [
            Span(m.start(), m.end(), PhiType.NAME, 0.85, m.group(0), "double")
            for pattern in self._patterns
            for m in pattern.finditer(text)
        ]
        return sorted(spans, key=lambda s: s.start)

    def detect_batch(
        self, texts: Sequence[str], *, context: DetectionContext | None = None
    ) -> list[list[Span]]:
        return [self.detect(text, context=context) for text in texts]


def _coded(display: str, code: str = "288328004") -> dict[str, Any]:
    return {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]}


def _bundle(note: str, allergen: str = ALLERGEN) -> dict[str, Any]:
    subject = {"reference": f"urn:uuid:{PATIENT_ID}"}
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": PATIENT_ID,
            "name": [{"family": FAMILY, "given": [GIVEN]}],
            "gender": "female",
            "birthDate": "1970-03-09",
        },
        {
            "resourceType": "AllergyIntolerance",
            "id": "wren-allergy",
            "patient": subject,
            "clinicalStatus": _coded("Active", "active"),
            "code": {**_coded(allergen), "text": allergen},
            "recordedDate": "2019-05-01",
        },
        {
            "resourceType": "DocumentReference",
            "id": "wren-note",
            "status": "current",
            "subject": subject,
            "date": "2021-06-01T10:00:00Z",
            "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3"}]},
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": base64.b64encode(note.encode()).decode(),
                    }
                }
            ],
        },
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def _ingest(settings: Settings, folder: Path, detector: PhraseDetector) -> list[Chunk]:
    folder.mkdir()
    (folder / "wren.json").write_text(json.dumps(_bundle(NOTE)))
    pipeline = open_pipeline(settings)
    pipeline.notes = NoteScrubber(detector)
    try:
        report = pipeline.run([folder])
        assert not report.rejected
        token = pipeline.vault.patient_token(f"Patient/{PATIENT_ID}")
        return list(pipeline.index.scroll(token))
    finally:
        pipeline.close()


def test_allergen_in_a_note_survives_and_the_relatives_name_is_tokenized(
    fast_settings: Settings, tmp_path: Path
) -> None:
    chunks = _ingest(fast_settings, tmp_path / "in", PhraseDetector(["bee venom", RELATIVE]))

    allergy = [c for c in chunks if c.resource_type == "AllergyIntolerance"]
    notes = [c for c in chunks if c.kind == "note"]
    assert allergy
    assert notes
    assert all(ALLERGEN in c.text for c in allergy)
    note_text = " ".join(c.text for c in notes)
    assert "allergy to bee venom" in note_text
    assert RELATIVE not in note_text
    assert "Marchetti" not in note_text
    assert "her brother [NAME-" in note_text
    everything = " ".join(c.text + " " + (c.display or "") for c in chunks)
    for real in (GIVEN, FAMILY, RELATIVE):
        assert real not in everything


def test_without_the_vocabulary_the_false_positive_would_be_tokenized(
    fast_settings: Settings, tmp_path: Path
) -> None:
    """The control: an allergen the patient has no coded record of is tokenized as detected,
    so the test above passes because of the coded data, not because the span was missed."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wren.json").write_text(json.dumps(_bundle(NOTE, allergen="Peanut (substance)")))
    pipeline = open_pipeline(fast_settings)
    pipeline.notes = NoteScrubber(PhraseDetector(["bee venom", RELATIVE]))
    try:
        pipeline.run([folder])
        token = pipeline.vault.patient_token(f"Patient/{PATIENT_ID}")
        notes = [c.text for c in pipeline.index.scroll(token) if c.kind == "note"]
    finally:
        pipeline.close()
    assert notes
    assert all("bee venom" not in text.casefold() for text in notes)
    assert any("allergy to [NAME-" in text for text in notes)


def test_a_value_the_vault_knows_as_an_identifier_is_never_kept(
    fast_settings: Settings, tmp_path: Path
) -> None:
    """The patient's own given name is tokenized even where a detector span over it is also
    a word of a clinical display (a drug named after it)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wren.json").write_text(
        json.dumps(_bundle(NOTE, allergen=f"{GIVEN} pollen extract (substance)"))
    )
    pipeline = open_pipeline(fast_settings)
    pipeline.notes = NoteScrubber(PhraseDetector([GIVEN, RELATIVE]))
    try:
        pipeline.run([folder])
        token = pipeline.vault.patient_token(f"Patient/{PATIENT_ID}")
        notes = [c.text for c in pipeline.index.scroll(token) if c.kind == "note"]
    finally:
        pipeline.close()
    assert notes
    assert all(GIVEN not in text for text in notes)
    assert any(NAME_TOKEN.search(text.split("seen today")[-1]) for text in notes)


def test_vocabulary_reads_code_displays_of_clinical_resources_only() -> None:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "name": [{"text": "Ivy Thornbury"}]},
        {
            "resourceType": "Condition",
            "code": {**_coded("Allergic rhinitis caused by pollen"), "text": "Hay fever"},
            "note": [{"text": "Discussed with her sister Ivy"}],
            "asserter": {"reference": "Practitioner/1", "display": "Dr. Amos Kettle"},
        },
        {"resourceType": "Practitioner", "qualification": [{"code": _coded("Doctor Kettle")}]},
        {
            "resourceType": "MedicationRequest",
            "medicationCodeableConcept": _coded("Epinephrine 0.3 MG/0.3ML Auto-Injector"),
        },
    ]
    vocabulary = ClinicalVocabulary.of(resources)

    assert vocabulary.mentions("hay FEVER")
    assert vocabulary.mentions("pollen")
    assert vocabulary.mentions("epinephrine")
    assert vocabulary.mentions("Allergic  rhinitis")
    assert not vocabulary.mentions("pol")  # whole words only
    assert not vocabulary.mentions("Ivy")  # annotation text and Patient are not vocabulary
    assert not vocabulary.mentions("Amos Kettle")  # a reference's display names a person
    assert not vocabulary.mentions("Kettle")  # Practitioner codes are not read
    assert not vocabulary.mentions("0.3")  # nothing without a letter
