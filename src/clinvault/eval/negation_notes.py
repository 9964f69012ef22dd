"""A review-of-systems note that denies findings, planted for the negation family
(synthetic data only, as ``eval.injection`` plants its note).

``plant_negation_note`` adds one DocumentReference whose statements deny findings the
patient's record does not hold ("Denies chest pain", "No history of seizures", "Negative
for tuberculosis"); the builder asks about each, and an answer reporting one as present
counts in ``negated_reported_rate`` (target 0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clinvault.eval.planted_notes import plant_note, text_note

NEGATION_NOTE_TITLE = "Review of systems note"
DENIED = (
    ("chest pain", "Does the patient have chest pain?"),
    ("seizures", "Any history of seizures?"),
    ("tuberculosis", "Has the patient ever had tuberculosis?"),
    ("palpitations", "any palpitations?"),
    ("hemoptysis", "hx of hemoptysis?"),
)
"""(finding, question): each denied in the note."""
NEGATION_TEXT = (
    "REVIEW OF SYSTEMS\n"
    "Patient denies chest pain or palpitations. No history of seizures. "
    "Negative for tuberculosis. No hemoptysis. Reports mild fatigue.\n"
)


def negation_note(patient_id: str, when: str) -> dict[str, Any]:
    return text_note("negation", patient_id, NEGATION_NOTE_TITLE, NEGATION_TEXT, when)


def plant_negation_note(bundle_file: Path, when: str = "2024-02-01T09:00:00Z") -> str:
    """Add the note to a transaction Bundle file in place; returns ``DocumentReference/<id>``."""
    return plant_note(bundle_file, "negation", NEGATION_NOTE_TITLE, NEGATION_TEXT, when)
