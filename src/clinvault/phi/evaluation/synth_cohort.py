"""A cohort written by ``clinvault synth``: planted PHI in notes, with offsets.

``truth.jsonl`` has one line per patient: ``file`` (its bundle) and ``phi`` entries
``{value, type, known_to_record, spans: [{where: "DocumentReference/<id>", start, end}]}``
with offsets into the decoded note text. Each note becomes a gold document; the PHI the
record lists (``known_to_record``) becomes its detection context, as at ingest. Eponyms
(``non_phi``) are not gold spans: a detection on them counts against precision.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from clinvault.errors import UnusableInputError
from clinvault.phi.base import DetectionContext, KnownIdentifier, PhiType
from clinvault.phi.evaluation.gold import GoldDocument, GoldSpan, LabelScheme

TRUTH_FILE = "truth.jsonl"
SYNTH_COHORT = LabelScheme(
    "synth",
    {
        "NAME": PhiType.NAME,
        "NAME_PART": PhiType.NAME,
        "RELATIVE_NAME": PhiType.NAME,
        "PROVIDER_NAME": PhiType.NAME,
        "OTHER_PERSON": PhiType.NAME,
        "MRN": PhiType.MRN,
        "SSN": PhiType.SSN,
        "PHONE": PhiType.PHONE,
        "EMAIL": PhiType.EMAIL,
        "ADDRESS": PhiType.ADDR,
        "CITY": PhiType.ADDR,
        "POSTAL_CODE": PhiType.ADDR,
        "BIRTH_DATE": PhiType.DATE,
        "DATE": PhiType.DATE,
        "AGE": PhiType.AGE,
        "FACILITY": PhiType.ORG,
        "URL": PhiType.URL,
    },
)
Json = dict[str, Any]


def _notes(bundle: Json, where: str) -> dict[str, str]:
    """``DocumentReference/<id>`` -> decoded text/plain content."""
    notes: dict[str, str] = {}
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") != "DocumentReference":
            continue
        for content in resource.get("content", []):
            attachment = content.get("attachment", {})
            if not str(attachment.get("contentType", "")).startswith("text/plain"):
                continue
            try:
                text = base64.b64decode(attachment["data"], validate=True).decode("utf-8")
            except (KeyError, binascii.Error, UnicodeDecodeError):
                raise UnusableInputError(
                    "DocumentReference without decodable text/plain data", where=where
                ) from None
            notes[f"DocumentReference/{resource.get('id')}"] = text
    return notes


def _context(phi: list[Json]) -> DetectionContext:
    known: list[KnownIdentifier] = []
    providers: list[str] = []
    facilities: list[str] = []
    for entry in phi:
        if not entry.get("known_to_record"):
            continue
        label, value = str(entry["type"]), str(entry["value"])
        if label == "PROVIDER_NAME":
            providers.append(value)
        elif label == "FACILITY":
            facilities.append(value)
        else:
            known.append(KnownIdentifier(value, SYNTH_COHORT.phi_type(label) or PhiType.ID))
    return DetectionContext(tuple(known), tuple(providers), tuple(facilities))


def _read_json(path: Path) -> Json:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnusableInputError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise UnusableInputError(f"not JSON (line {exc.lineno})", where=str(path)) from None
    if not isinstance(data, dict):
        raise UnusableInputError("expected a JSON object", where=str(path))
    return data


def load_synth_cohort(folder: Path, *, use_context: bool = True) -> list[GoldDocument]:
    """Every note of the cohort as a gold document, in truth-file order."""
    truth_path = folder / TRUTH_FILE
    try:
        lines = truth_path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UnusableInputError(f"cannot read: {exc.strerror}", where=str(truth_path)) from None
    documents: list[GoldDocument] = []
    for number, line in enumerate(lines, start=1):
        where = f"{truth_path}:{number}"
        try:
            truth = json.loads(line)
            phi = list(truth["phi"])
            bundle_path = folder / str(truth["file"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UnusableInputError("not a truth line (file, phi)", where=where) from None
        notes = _notes(_read_json(bundle_path), str(bundle_path))
        spans: dict[str, list[GoldSpan]] = {key: [] for key in notes}
        for entry in phi:
            label = str(entry.get("type"))
            if label not in SYNTH_COHORT.mapping:
                raise UnusableInputError(f"unknown PHI type {label!r}", where=where)
            for span in entry.get("spans", []):
                note = spans.get(str(span["where"]))
                if note is None:
                    raise UnusableInputError("span in a note the bundle lacks", where=where)
                note.append(GoldSpan(int(span["start"]), int(span["end"]), label))
        context = _context(phi) if use_context else None
        documents += [GoldDocument(notes[key], tuple(spans[key]), context) for key in notes]
    return documents
