"""TXA: a medical document (MDM) as a DocumentReference; its OBX TX/FT lines are the text."""

from __future__ import annotations

from types import MappingProxyType

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment

DOCUMENT_STATUS = MappingProxyType({"final": "final", "preliminary": "preliminary"})


def map_txa(ctx: Context, segment: Segment) -> None:
    """TXA: type (2), activity time (4), author (5, 9), unique number (12), parent (13),
    completion status (17), availability (19)."""
    if ctx.patient_ref is None:
        return
    number = segment.get(12, 1)
    doc_id = (
        ctx.stable_id("DocumentReference", "txa", ctx.facility, segment.get(12, 2), number)
        if number
        else ctx.positional_id("DocumentReference", segment)
    )
    kind = segment.first(2)
    authors = [ctx.practitioner(rep) for rep in segment.repetitions(5) + segment.repetitions(9)]
    completion = ctx.tables.lookup("document_status", segment.get(17).upper())
    availability = segment.get(19).upper()
    date = (
        ctx.datetime(segment.get(4))
        or ctx.datetime(segment.get(6))
        or ctx.datetime(ctx.message.msh.get(7))
    )
    document = dt.pruned(
        {
            "resourceType": "DocumentReference",
            "id": doc_id,
            "identifier": [{"value": number}] if number else [],
            "status": "superseded"
            if availability == "OB"
            else "entered-in-error"
            if segment.get(17).upper() == "DI"
            else "current",
            "docStatus": DOCUMENT_STATUS.get(completion, ""),
            "type": {
                "coding": [
                    {
                        "system": ctx.tables.code_system("HL70270"),
                        "code": kind.get(1),
                        "display": kind.get(2),
                    }
                ]
            }
            if kind is not None and kind.get(1)
            else {"text": "document"},
            "subject": {"reference": ctx.patient_ref},
            "date": date if date and "T" in date else None,
            "author": [a for a in authors if a],
            "context": {"encounter": [ctx.encounter()]} if ctx.encounter_ref else {},
        }
    )
    ctx.document = ctx.add(document)
    ctx.document_lines = []
    ctx.note = None
