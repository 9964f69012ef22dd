"""One C-CDA document -> one FHIR R4 Bundle (type ``collection``).

    ClinicalDocument ── recordTarget/patientRole ───────────► Patient
                     ├─ author, documentationOf/serviceEvent ► Practitioner, CareTeam
                     ├─ componentOf/encompassingEncounter ──► Encounter (+ participants)
                     ├─ structuredBody//section
                     │     ├─ entry/* ── sections.SECTIONS ─► Condition, AllergyIntolerance,
                     │     │                                  MedicationStatement, Observation,
                     │     │                                  DiagnosticReport, Immunization,
                     │     │                                  Procedure, Encounter
                     │     └─ text (narrative) ─────────────► DocumentReference (text/plain)
                     └─ nonXMLBody ─────────────────────────► DocumentReference (its attachment)

Resource ids derive from the document's id *and* a digest of its bytes (plus the entry's
ids or position): re-ingesting the same file writes nothing, while two different documents
that claim one ``ClinicalDocument/id`` (9 of the 22 Microsoft samples say ``TT988``) do not
overwrite each other's resources; a revised document is added, not lost. The Patient's id
comes from its identifiers, so one patient across documents is one Patient.

Every narrative section becomes note text (one DocumentReference per section), so the ingest
runs the PHI detector over it like over any note. Every resource is validated with the
``fhir.resources.R4B`` models; ``Conversion.problems`` lists the ones that fail (ingest
quarantines them, ``clinvault convert`` reports them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from clinvault.errors import InputError, ResourceRejected
from clinvault.fhir.sources import NotThisFormat
from clinvault.fhir.validate import validate
from clinvault.interop.ccda.context import Context
from clinvault.interop.ccda.datatypes import codeable, effective, id_keys, identifiers, period
from clinvault.interop.ccda.entries import ENCOUNTER_STATUS, _encounter_class
from clinvault.interop.ccda.narrative import narrative_ids, narrative_text
from clinvault.interop.ccda.participants import (
    care_team,
    document_authors,
    encounter_participants,
)
from clinvault.interop.ccda.patient import (
    medical_record_numbers,
    patient_id,
    patient_resource,
)
from clinvault.interop.ccda.sections import document_type, section_spec
from clinvault.interop.ccda.secure_xml import parse_xml
from clinvault.interop.ccda.xpath import V3, all_of, attr, first, own_text, template_ids, text_of

LOINC = "http://loinc.org"
FHIR_NS = "http://hl7.org/fhir"
TEXT_PLAIN = "text/plain; charset=utf-8"


class NotClinicalDocument(NotThisFormat):
    """The XML is well formed but its root is not ``ClinicalDocument`` in ``urn:hl7-org:v3``."""


@dataclass
class Conversion:
    bundle: dict[str, Any]
    document_type: str | None
    problems: list[ResourceRejected] = field(default_factory=list)


PatientResolver = Callable[[str, str], dict[str, Any] | None]
"""``(system, value)`` of a medical record number -> the stored Patient that has it, if one."""


def convert_file(path: Path, *, resolver: PatientResolver | None = None) -> Conversion:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file ({type(exc).__name__})", where=where) from None
    return convert_bytes(data, where, resolver=resolver)


def convert_bytes(
    data: bytes, where: str, *, resolver: PatientResolver | None = None
) -> Conversion:
    """``resolver`` (the ingest passes the vault's) makes a patient already known by one of
    the document's medical record numbers the same Patient (its stored id is kept)."""
    root = parse_xml(data, where)
    if root.tag != f"{V3}ClinicalDocument":
        if etree.QName(root).namespace == FHIR_NS:
            raise NotClinicalDocument("FHIR XML is not read (give FHIR as JSON)", where=where)
        raise NotClinicalDocument(
            "not a C-CDA document (root is not ClinicalDocument)", where=where
        )
    role = first(root, "v:recordTarget/v:patientRole")
    if role is None:
        raise InputError("C-CDA document has no recordTarget/patientRole", where=where)
    document_key = f"{'|'.join(id_keys(root))}|{hashlib.sha256(data).hexdigest()}"
    ctx = Context(document_key, patient_id(role, document_key), narrative_ids(root))
    ctx.document_date = effective(root)[0]
    patient = patient_resource(role, ctx.patient_id)
    known = _known_patient(patient, resolver)
    if known is not None:  # the stored Patient keeps its id and its other identifiers
        ctx.patient_id = patient["id"] = known["id"]
        ours = patient.get("identifier", [])
        kept = [i for i in known.get("identifier", []) if isinstance(i, dict) and i not in ours]
        if kept:
            patient["identifier"] = [*ours, *kept]
    ctx.add(patient)
    ctx.authors = document_authors(root, ctx)
    care_team(root, ctx)
    encounter = _encompassing_encounter(root, ctx)
    kind = document_type(template_ids(root))
    doc_code = codeable(first(root, "v:code")) or {"text": kind or "Clinical document"}
    body = first(root, "v:component/v:structuredBody")
    if body is not None:
        for number, section in enumerate(all_of(body, ".//v:section")):
            _section(section, number, ctx, doc_code, encounter)
    unstructured = first(root, "v:component/v:nonXMLBody/v:text")
    if unstructured is not None:
        _unstructured(unstructured, ctx, doc_code, encounter, where)
    problems = [
        p for r in ctx.resources if (p := validate(r, f"{where}#{r['resourceType']}/{r['id']}"))
    ]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in ctx.resources],
    }
    return Conversion(bundle, kind, problems)


def _known_patient(
    patient: dict[str, Any], resolver: PatientResolver | None
) -> dict[str, Any] | None:
    if resolver is None:
        return None
    for system, value in medical_record_numbers(patient):
        known = resolver(system, value)
        if known is not None and isinstance(known.get("id"), str):
            return known
    return None


def _encompassing_encounter(root: etree._Element, ctx: Context) -> str | None:
    node = first(root, "v:componentOf/v:encompassingEncounter")
    if node is None:
        return None
    code = codeable(first(node, "v:code"), ctx.narrative)
    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": ctx.new_id("Encounter", id_keys(node), "encompassingEncounter"),
        "status": ENCOUNTER_STATUS.get("completed", "finished"),
        "class": _encounter_class(code),
        "subject": ctx.patient_ref,
    }
    ids = identifiers(node)
    if ids:
        encounter["identifier"] = ids
    if code:
        encounter["type"] = [code]
    participants = encounter_participants(node, ctx, "encompassingEncounter")
    if participants:
        encounter["participant"] = participants
    point, low, high = effective(node)
    when = period(low or point, high)
    if when:
        encounter["period"] = when
    if when and "end" not in when:
        encounter["status"] = "in-progress"
    ctx.add(encounter)
    return str(encounter["id"])


def _note(
    ctx: Context,
    note_id: str,
    title: str | None,
    section_code: dict[str, Any] | None,
    doc_code: dict[str, Any],
    encounter: str | None,
    attachment: dict[str, Any],
) -> None:
    reference: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": note_id,
        "status": "current",
        "type": section_code or doc_code,
        "category": [doc_code],
        "subject": ctx.patient_ref,
        "content": [{"attachment": attachment}],
    }
    if title:
        reference["description"] = title
    if ctx.authors:
        reference["author"] = list(ctx.authors)
    if ctx.document_date:
        reference["date"] = ctx.document_date if "T" in ctx.document_date else None
        if reference["date"] is None:
            del reference["date"]
    if encounter:
        reference["context"] = {"encounter": [{"reference": f"Encounter/{encounter}"}]}
    ctx.add(reference)


def _section(
    section: etree._Element,
    number: int,
    ctx: Context,
    doc_code: dict[str, Any],
    encounter: str | None,
) -> None:
    code_node = first(section, "v:code")
    spec = section_spec(template_ids(section), attr(code_node, "code"))
    if spec is not None:
        for position, entry in enumerate(all_of(section, "v:entry/*")):
            spec.mapper(entry, ctx, f"s{number}.e{position}")
    text = narrative_text(first(section, "v:text"))
    if not text:
        return
    title = text_of(first(section, "v:title")) or (spec.kind if spec else None)
    if title:
        text = f"{title}\n{text}"
    _note(
        ctx,
        ctx.new_id("DocumentReference", [], f"s{number}"),
        title,
        codeable(code_node),
        doc_code,
        encounter,
        {
            "contentType": TEXT_PLAIN,
            "data": base64.b64encode(text.encode()).decode(),
            **({"title": title} if title else {}),
        },
    )


def _unstructured(
    node: etree._Element, ctx: Context, doc_code: dict[str, Any], encounter: str | None, where: str
) -> None:
    media = attr(node, "mediaType") or "text/plain"
    reference = attr(first(node, "v:reference"), "value")
    attachment: dict[str, Any] = {"contentType": media}
    raw = own_text(node)
    if attr(node, "representation") == "B64":
        compact = "".join(raw.split())
        try:
            base64.b64decode(compact, validate=True)
        except ValueError:
            raise InputError("nonXMLBody text is not valid base64", where=where) from None
        attachment["data"] = compact
    elif raw.strip():
        attachment["data"] = base64.b64encode(raw.strip().encode()).decode()
        if media.startswith("text/") and "charset" not in media:
            attachment["contentType"] = f"{media}; charset=utf-8"
    elif reference:
        attachment["url"] = reference
    else:
        return
    _note(
        ctx,
        ctx.new_id("DocumentReference", [], "nonXMLBody"),
        None,
        None,
        doc_code,
        encounter,
        attachment,
    )
