"""Plain-text notes the evaluation plants in a synthetic cohort's Bundle files before ingest
(the injection note of :mod:`clinvault.eval.injection`, the review of systems of
:mod:`clinvault.eval.negation_notes`): one ``DocumentReference`` per patient, its id derived
from the note's kind and the patient's id, so planting is deterministic."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from clinvault.errors import UnusableInputError


def text_note(kind: str, patient_id: str, title: str, text: str, when: str) -> dict[str, Any]:
    """An R4 ``DocumentReference`` holding ``text`` as a plain-text attachment."""
    note_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"clinvault-eval-{kind}/{patient_id}"))
    return {
        "resourceType": "DocumentReference",
        "id": note_id,
        "status": "current",
        "type": {"text": title},
        "subject": {"reference": f"urn:uuid:{patient_id}"},
        "date": when,
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }


def plant_note(bundle_file: Path, kind: str, title: str, text: str, when: str) -> str:
    """Add the note to the transaction Bundle file's patient, in place; returns
    ``DocumentReference/<id>``. A file that is not a JSON Bundle with a Patient is refused."""
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
    note = text_note(kind, str(patient["id"]), title, text, when)
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
