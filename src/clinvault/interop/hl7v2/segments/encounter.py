"""PV1 and PV2: the visit as an Encounter (class, status by trigger event, times, people)."""

from __future__ import annotations

from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Repetition, Segment

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PEOPLE = (
    (7, "ATND", "attender"),
    (8, "REF", "referrer"),
    (9, "CON", "consultant"),
    (17, "ADM", "admitter"),
)


def encounter_id(segment: Segment, ctx: Context) -> str:
    visit = segment.first(19)
    if visit is not None and visit.get(1):
        return ctx.stable_id("Encounter", "visit", ctx.facility, visit.get(1))
    return ctx.positional_id("Encounter", segment)


def map_pv1(ctx: Context, segment: Segment) -> None:
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    class_code = tables.lookup("encounter_class", segment.get(2).upper())
    start, end = ctx.datetime(segment.get(44)), ctx.datetime(segment.get(45))
    status = _status(ctx, class_code, end)
    if ctx.event.get("reopen"):
        end = None
    participants = []
    for field_no, code, display in PEOPLE:
        for rep in segment.repetitions(field_no):
            who = ctx.practitioner(rep)
            if who:
                participants.append(
                    {
                        "type": [
                            {
                                "coding": [
                                    {"system": PARTICIPATION, "code": code, "display": display}
                                ]
                            }
                        ],
                        "individual": who,
                    }
                )
    visit = segment.first(19)
    resource = dt.pruned(
        {
            "resourceType": "Encounter",
            "id": encounter_id(segment, ctx),
            "status": status,
            "class": {
                "system": ACT_CODE,
                "code": class_code,
                "display": tables.lookup("encounter_class_display", class_code),
            }
            if class_code
            else {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [_coded(ctx, segment.get(4), "HL70007")] if segment.get(4) else [],
            "serviceType": _coded(ctx, segment.get(10), "HL70069") if segment.get(10) else {},
            "identifier": [
                dt.identifier(visit, tables)
                | {
                    "type": {
                        "coding": [
                            {
                                "system": tables.code_system("HL70203"),
                                "code": "VN",
                                "display": "Visit number",
                            }
                        ]
                    }
                }
            ]
            if visit is not None
            else [],
            "subject": {"reference": ctx.patient_ref},
            "participant": participants,
            "period": {"start": start, "end": end},
            "location": [_location(rep) for rep in segment.repetitions(3)],
            "hospitalization": {
                "admitSource": _coded(ctx, segment.get(14), "HL70023") if segment.get(14) else {},
                "dischargeDisposition": _coded(ctx, segment.get(36), "HL70112")
                if segment.get(36)
                else {},
            },
        }
    )
    ctx.add(resource)


def _status(ctx: Context, class_code: str, end: str | None) -> str:
    """The event's status, else (A08 and other updates) what PV1 implies: a discharge time
    means finished, a pre-admission planned, anything else a visit in progress."""
    status = ctx.event.get("encounter_status")
    if isinstance(status, str):
        return status
    if end:
        return "finished"
    return "planned" if class_code == "PRENC" else "in-progress"


def _coded(ctx: Context, code: str, table: str) -> dict[str, Any]:
    return {"coding": [{"system": ctx.tables.code_system(table), "code": code}]}


def _location(rep: Repetition) -> dict[str, Any]:
    """PL: point of care (1), room (2), bed (3), facility (4), building (7), floor (8)."""
    parts = [rep.component(c) for c in (1, 2, 3, 4, 7, 8)]
    display = ", ".join(p for p in parts if p)
    return {"location": {"display": display}} if display else {}


def map_pv2(ctx: Context, segment: Segment) -> None:
    """PV2-3 admit reason -> Encounter.reasonCode; PV2-12 visit description -> text note."""
    if ctx.encounter_ref is None or ctx.encounter_ref not in ctx.resources:
        return
    encounter = ctx.resources[ctx.encounter_ref]
    reason = dt.codeable(segment.first(3), ctx.tables)
    if reason:
        encounter["reasonCode"] = [reason]
    expected_end = ctx.datetime(segment.get(9))
    if expected_end and encounter.get("status") == "planned":
        encounter.setdefault("period", {}).setdefault("end", expected_end)
