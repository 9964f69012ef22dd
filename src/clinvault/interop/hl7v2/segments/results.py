"""ORC, OBR, OBX and NTE: orders, DiagnosticReport, Observation, and notes from TX/FT text.

OBX value types: NM (Quantity), SN (Quantity with comparator, Ratio or Range), ST (string),
CE/CWE/CNE (CodeableConcept), DT/TS/DTM (dateTime), TM (time). TX/FT text in a result or
document message is joined, consecutive OBX by consecutive OBX, into one note: the open
TXA document (MDM), else a DocumentReference of the current OBR (ORU). Elsewhere (ADT,
VXU) a TX/FT OBX is an Observation with a string value.
"""

from __future__ import annotations

import base64
import re
from types import MappingProxyType
from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TEXT_TYPES = frozenset({"TX", "FT"})
POINTER_TYPES = frozenset({"RP", "ED"})
"""Reference pointers and encapsulated data: not a result value (nothing is fetched)."""
NOTE_FAMILIES = frozenset({"ORU", "MDM"})
RANGE = re.compile(r"^\s*([<>]=?)?\s*(-?\d+\.?\d*)?\s*(?:[-_]|to)?\s*(-?\d+\.?\d*)?\s*$")
DOC_STATUS = MappingProxyType(
    {
        "final": "final",
        "corrected": "amended",
        "amended": "amended",
        "preliminary": "preliminary",
    }
)


def order_number(ctx: Context, segment: Segment | None) -> str:
    """Filler order number, else placer (OBR-3/2 or ORC-3/2)."""
    for source in (segment, ctx.order):
        if source is not None:
            for field_no in (3, 2):
                if source.get(field_no, 1):
                    return f"{source.get(field_no, 2)}|{source.get(field_no, 1)}"
    return ""


def map_orc(ctx: Context, segment: Segment) -> None:
    ctx.order = segment
    close_note(ctx)


def map_obr(ctx: Context, segment: Segment) -> None:
    if ctx.patient_ref is None:
        return
    close_note(ctx)
    tables = ctx.tables
    number = order_number(ctx, segment)
    report_id = (
        ctx.stable_id("DiagnosticReport", ctx.facility, number, ctx.occurrence("OBR" + number))
        if number
        else ctx.positional_id("DiagnosticReport", segment)
    )
    identifiers = [
        {
            "type": {"coding": [{"system": tables.code_system("HL70203"), "code": code}]},
            "value": segment.get(field_no, 1),
        }
        for field_no, code in ((2, "PLAC"), (3, "FILL"))
        if segment.get(field_no, 1)
    ]
    status = tables.lookup("report_status", segment.get(25).upper()) or "unknown"
    code = dt.codeable(segment.first(4), tables) or {"text": "result"}
    interpreter = ctx.practitioner(segment.first(32))
    report = dt.pruned(
        {
            "resourceType": "DiagnosticReport",
            "id": report_id,
            "identifier": identifiers,
            "status": status,
            "category": _category(ctx, segment),
            "code": code,
            "subject": {"reference": ctx.patient_ref},
            "encounter": ctx.encounter(),
            "effectiveDateTime": ctx.datetime(segment.get(7)),
            "issued": _instant(ctx.datetime(segment.get(22))),
            "resultsInterpreter": [interpreter] if interpreter else [],
        }
    )
    ctx.report = ctx.add(report)
    ctx.observation = None


def _category(ctx: Context, segment: Segment) -> list[dict[str, Any]]:
    section = segment.get(24)
    if section:
        return [{"coding": [{"system": ctx.tables.code_system("HL70074"), "code": section}]}]
    return [
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}
    ]


def _instant(value: str | None) -> str | None:
    return value if value and "T" in value else None


def map_obx(ctx: Context, segment: Segment) -> None:
    if ctx.patient_ref is None:
        return
    value_type = segment.get(2, 1).upper()
    if value_type in TEXT_TYPES and ctx.family.name in NOTE_FAMILIES:
        _append_note(ctx, segment)
        return
    close_note(ctx)
    if value_type in POINTER_TYPES:
        return
    tables = ctx.tables
    code = dt.codeable(segment.first(3), tables)
    if not code:
        code = {"text": "observation"}
    if _onto_immunization(ctx, segment, code):
        return
    value = _value(ctx, segment, value_type)
    number = order_number(ctx, None) if ctx.report is None else (ctx.report["id"])
    code_key = f"{segment.get(3, 3)}|{segment.get(3, 1)}|{segment.get(4)}"
    key = f"{number}|{code_key}"
    # a code the IG's table-0085 map has no target for (O order detail, N not asked) is not
    # a final result: unknown; OBX-11 left empty reads as final
    result_status = segment.get(11).upper()
    status = tables.lookup("observation_status", result_status) or (
        "unknown" if result_status else "final"
    )
    interpretations = [
        {
            "coding": [
                {
                    "system": INTERPRETATION,
                    "code": tables.lookup("interpretation", rep.get(1).upper()),
                }
            ]
        }
        if tables.lookup("interpretation", rep.get(1).upper())
        else {"text": rep.get(1)}
        for rep in segment.repetitions(8)
    ]
    category = (
        "laboratory" if ctx.report is not None else ("vital-signs" if _is_vital(code) else "")
    )
    effective = ctx.datetime(segment.get(14))
    if not effective and ctx.report is not None:
        effective = ctx.report.get("effectiveDateTime")
    resource = dt.pruned(
        {
            "resourceType": "Observation",
            "id": ctx.stable_id("Observation", ctx.facility, key, ctx.occurrence("OBX" + key))
            if number or segment.get(3, 1)
            else ctx.positional_id("Observation", segment),
            "status": status,
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}]
            if category
            else [],
            "code": code,
            "subject": {"reference": ctx.patient_ref},
            "encounter": ctx.encounter(),
            "effectiveDateTime": effective,
            **value,
            "interpretation": interpretations,
            "referenceRange": _reference_range(segment.get(7)),
            "method": dt.codeable(segment.first(17), tables),
        }
    )
    ctx.observation = ctx.add(resource)
    if ctx.report is not None:
        ctx.report.setdefault("result", []).append(ctx.ref(resource))


def _onto_immunization(ctx: Context, segment: Segment, code: dict[str, Any]) -> bool:
    """VXU: an OBX that describes the dose (funding source, eligibility) fills the
    Immunization element the family table names, instead of becoming an Observation."""
    target = ctx.last_medication
    element = ctx.family.extra.get("immunization_obx", {}).get(segment.get(3, 1))
    if target is None or target["resourceType"] != "Immunization" or not element:
        return False
    concept = dt.codeable(segment.first(5), ctx.tables)
    if not concept:
        return False
    if element == "programEligibility":
        target.setdefault(element, []).append(concept)
    else:
        target[element] = concept
    return True


def _is_vital(code: dict[str, Any]) -> bool:
    return any(
        c.get("system") == "http://loinc.org" and c.get("code") in VITAL_LOINC
        for c in code.get("coding", [])
    )


VITAL_LOINC = frozenset(
    {
        "8867-4",
        "8480-6",
        "8462-4",
        "8310-5",
        "9279-1",
        "29463-7",
        "8302-2",
        "39156-5",
        "59408-5",
        "2708-6",
    }
)


def _value(ctx: Context, segment: Segment, value_type: str) -> dict[str, Any]:
    tables = ctx.tables
    reps = segment.repetitions(5)
    if not reps:
        return {}
    first = reps[0]
    unit = segment.first(6)
    if value_type == "NM" and len(reps) > 1:
        numbers = [dt.decimal(rep.get(1)) for rep in reps]
        code = dt.codeable(segment.first(3), tables)
        return {
            "component": [
                {"code": code, "valueQuantity": dt.quantity(n, unit, tables)}
                if n is not None
                else {"code": code}
                for n in numbers
            ]
        }
    if value_type == "NM":
        number = dt.decimal(first.get(1))
        if number is None:
            return {"valueString": first.get(1)}
        return {"valueQuantity": dt.quantity(number, unit, tables)}
    if value_type in ("SN", "FN"):
        return _structured_numeric(
            ctx, first.get(1), first.get(2), first.get(3), first.get(4), segment
        )
    if value_type in ("CE", "CWE", "CNE", "CF"):
        return {"valueCodeableConcept": dt.codeable(first, tables)}
    if value_type in ("DT", "TS", "DTM"):
        when = ctx.datetime(first.get(1))
        return {"valueDateTime": when} if when else {"valueString": first.get(1)}
    if value_type == "TM":
        text = first.get(1)
        if re.match(r"^\d{4}(\d{2})?$", text):
            return {"valueTime": f"{text[:2]}:{text[2:4]}:{text[4:6] or '00'}"}
        return {"valueString": text}
    if value_type in ("ED", "RP"):
        return {}
    text = (
        "\n".join(segment.text(5).splitlines())
        if value_type in TEXT_TYPES
        else " ".join(r.get(1) for r in reps)
    )
    return {"valueString": text}


def _structured_numeric(
    ctx: Context, comparator: str, num1: str, sep: str, num2: str, segment: Segment
) -> dict[str, Any]:
    unit = segment.first(6)
    first, second = dt.decimal(num1), dt.decimal(num2)
    if first is None:
        return {"valueString": "".join((comparator, num1, sep, num2))} if num1 else {}
    if sep in (":", "/") and second is not None:
        return {"valueRatio": {"numerator": {"value": first}, "denominator": {"value": second}}}
    if sep in ("-", "+") and second is not None:
        return {
            "valueRange": {
                "low": dt.quantity(first, unit, ctx.tables),
                "high": dt.quantity(second, unit, ctx.tables),
            }
        }
    quantity = dt.quantity(first, unit, ctx.tables)
    if comparator in ("<", "<=", ">=", ">"):
        quantity["comparator"] = comparator
    return {"valueQuantity": quantity}


def _reference_range(text: str) -> list[dict[str, Any]]:
    if not text:
        return []
    match = RANGE.match(text)
    if match and (match.group(2) or match.group(3)):
        comparator, low, high = match.groups()
        if comparator and comparator.startswith("<"):
            low, high = None, low
        elif comparator:
            high = None
        bounds: dict[str, Any] = {}
        if low is not None and dt.decimal(low) is not None:
            bounds["low"] = {"value": dt.decimal(low)}
        if high is not None and dt.decimal(high) is not None:
            bounds["high"] = {"value": dt.decimal(high)}
        if bounds:
            return [{**bounds, "text": text}]
    return [{"text": text}]


def map_nte(ctx: Context, segment: Segment) -> None:
    """NTE-3 comment -> the current Observation's note, else the report's conclusion."""
    text = segment.text(3)
    if not text:
        return
    if ctx.observation is not None:
        ctx.observation.setdefault("note", []).append({"text": text})
    elif ctx.report is not None:
        conclusion = ctx.report.get("conclusion")
        ctx.report["conclusion"] = f"{conclusion}\n{text}" if conclusion else text


def _append_note(ctx: Context, segment: Segment) -> None:
    text = segment.text(5)
    if ctx.document is None:
        _open_note(ctx, segment)
    ctx.document_lines.append(text)
    status = ctx.tables.lookup("observation_status", segment.get(11).upper())
    if ctx.document is not None and status and "docStatus" not in ctx.document:
        doc_status = DOC_STATUS.get(status)
        if doc_status:
            ctx.document["docStatus"] = doc_status
    _write_note(ctx)


def _open_note(ctx: Context, segment: Segment) -> None:
    """A DocumentReference for the TX/FT text of the current OBR (ORU)."""
    tables = ctx.tables
    code = dt.codeable(segment.first(3), tables)
    report = ctx.report
    if not code and report is not None:
        code = report.get("code", {})
    key = report["id"] if report is not None else f"{ctx.facility}|{ctx.message.control_id}"
    document = dt.pruned(
        {
            "resourceType": "DocumentReference",
            "id": ctx.stable_id("DocumentReference", "note", key, ctx.occurrence("NOTE" + key)),
            "status": "current",
            "type": code or {"text": "note"},
            "subject": {"reference": ctx.patient_ref},
            "date": _instant(
                ctx.datetime(segment.get(14)) or (report or {}).get("effectiveDateTime")
            ),
            "context": {"encounter": [ctx.encounter()]} if ctx.encounter_ref else {},
        }
    )
    ctx.document = ctx.add(document)
    ctx.document_lines = []
    if report is not None:
        ctx.note = document


def _write_note(ctx: Context) -> None:
    if ctx.document is None:
        return
    text = "\n".join(ctx.document_lines).strip("\n")
    if not text:
        ctx.document.pop("content", None)
        return
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    ctx.document["content"] = [
        {"attachment": {"contentType": "text/plain; charset=utf-8", "data": data}}
    ]


def close_note(ctx: Context) -> None:
    """Ends the open ORU note (an MDM document stays open for its OBX lines)."""
    if ctx.note is not None and ctx.document is ctx.note:
        if "content" not in ctx.document:
            ctx.resources.pop(f"DocumentReference/{ctx.document['id']}", None)
        ctx.document = None
        ctx.note = None
        ctx.document_lines = []
