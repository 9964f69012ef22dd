"""A review-of-systems note that denies findings, planted for the negation family
(synthetic data only, as ``eval.injection`` plants its note).

``plant_negation_note`` adds one DocumentReference whose statements deny findings the
patient's record does not hold ("Denies chest pain", "No history of seizures", "Negative
for tuberculosis"); the builder asks about each, and an answer reporting one as present
counts in ``negated_reported_rate`` (target 0).
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from clinvault.errors import UnusableInputError

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
    note_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"clinvault-eval-negation/{patient_id}"))
    return {
        "resourceType": "DocumentReference",
        "id": note_id,
        "status": "current",
        "type": {"text": NEGATION_NOTE_TITLE},
        "subject": {"reference": f"urn:uuid:{patient_id}"},
        "date": when,
        "description": NEGATION_NOTE_TITLE,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(NEGATION_TEXT.encode()).decode(),
                }
            }
        ],
    }


def plant_negation_note(bundle_file: Path, when: str = "2024-02-01T09:00:00Z") -> str:
    """Add the note to a transaction Bundle file in place; returns ``DocumentReference/<id>``."""
    try:
        bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise UnusableInputError("not a readable JSON Bundle", where=str(bundle_file)) from None
    entries = bundle.get("entry") or []
    patient = next(
        (e["resource"] for e in entries if e.get("resource", {}).get("resourceType") == "Patient"),
        None,
    )
    if patient is None:
        raise UnusableInputError("the Bundle holds no Patient", where=str(bundle_file))
    note = negation_note(str(patient["id"]), when)
    entries.append(
        {
            "fullUrl": f"urn:uuid:{note['id']}",
            "resource": note,
            "request": {"method": "PUT", "url": f"DocumentReference/{note['id']}"},
        }
    )
    bundle["entry"] = entries
    bundle_file.write_text(json.dumps(bundle), encoding="utf-8")
    return f"DocumentReference/{note['id']}"
