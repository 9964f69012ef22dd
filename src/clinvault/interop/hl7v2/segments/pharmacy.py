"""RXA (vaccination or administration), RXE/RXO (encoded order), RXR (route)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment

UNKNOWN_DOSE = "999"
ORDER_STATUS = MappingProxyType(
    {
        "NW": "active",
        "XO": "active",
        "SC": "active",
        "CA": "cancelled",
        "DC": "stopped",
        "HD": "on-hold",
        "OK": "active",
        "CM": "completed",
    }
)


def _order_key(ctx: Context, segment: Segment) -> str:
    order = ctx.order
    if order is not None:
        for field_no in (3, 2):
            if order.get(field_no, 1):
                return f"{order.get(field_no, 2)}|{order.get(field_no, 1)}"
    return ""


def _id(ctx: Context, resource_type: str, segment: Segment) -> str:
    key = _order_key(ctx, segment)
    if key:
        return ctx.stable_id(resource_type, ctx.facility, key, ctx.occurrence(resource_type + key))
    return ctx.positional_id(resource_type, segment)


def _dose(ctx: Context, amount: str, unit_field: Segment, unit_no: int) -> dict[str, Any]:
    if not amount or amount == UNKNOWN_DOSE:
        return {}
    return dt.quantity(dt.decimal(amount), unit_field.first(unit_no), ctx.tables)


def map_rxa_immunization(ctx: Context, segment: Segment) -> None:
    """RXA: start (3), vaccine (5), amount (6) and units (7), information source (9),
    administering provider (10), lot (15), expiry (16), manufacturer (17), refusal (18),
    completion status (20)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    completion = segment.get(20).upper() or "CP"
    status = tables.lookup("immunization_status", completion) or "completed"
    if segment.get(21).upper() == "D":
        status = "entered-in-error"
    performer = ctx.practitioner(segment.first(10))
    source = segment.get(9, 1)
    resource = dt.pruned(
        {
            "resourceType": "Immunization",
            "id": _id(ctx, "Immunization", segment),
            "status": status,
            "vaccineCode": dt.codeable(segment.first(5), tables) or {"text": "vaccine"},
            "patient": {"reference": ctx.patient_ref},
            "encounter": ctx.encounter(),
            "occurrenceDateTime": ctx.datetime(segment.get(3)),
            "primarySource": (source == "00") if source else None,
            "lotNumber": segment.get(15),
            "expirationDate": dt.Clock.date(segment.get(16)),
            "manufacturer": {"display": segment.get(17, 2) or segment.get(17, 1)}
            if segment.get(17, 1)
            else {},
            "doseQuantity": _dose(ctx, segment.get(6), segment, 7),
            "statusReason": dt.codeable(segment.first(18), tables) if status == "not-done" else {},
            "performer": [{"actor": performer}] if performer else [],
        }
    )
    if "occurrenceDateTime" not in resource:
        resource["occurrenceString"] = "unknown"
    ctx.last_medication = ctx.add(resource)


def map_rxa_administration(ctx: Context, segment: Segment) -> None:
    """RAS: RXA -> MedicationAdministration (time 3, drug 5, dose 6/7, status 20)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    completion = segment.get(20).upper() or "CP"
    status = {"CP": "completed", "PA": "completed", "RE": "not-done", "NA": "not-done"}.get(
        completion, "unknown"
    )
    start, end = ctx.datetime(segment.get(3)), ctx.datetime(segment.get(4))
    resource = dt.pruned(
        {
            "resourceType": "MedicationAdministration",
            "id": _id(ctx, "MedicationAdministration", segment),
            "status": status,
            "medicationCodeableConcept": dt.codeable(segment.first(5), tables)
            or {"text": "medication"},
            "subject": {"reference": ctx.patient_ref},
            "context": ctx.encounter(),
            **(
                {"effectivePeriod": {"start": start, "end": end}}
                if end
                else {"effectiveDateTime": start or "unknown"}
            ),
            "dosage": {"dose": _dose(ctx, segment.get(6), segment, 7)},
        }
    )
    if resource.get("effectiveDateTime") == "unknown":
        resource.pop("effectiveDateTime")
        resource["effectivePeriod"] = {}
    ctx.last_medication = ctx.add(resource)


def map_rxe(ctx: Context, segment: Segment) -> None:
    """RXE: give code (2), amount (3) and units (5), dispense amount (10) and units (11),
    refills (12); RXO: requested give code (1), amount (2), units (4). ORC: order control
    (1), numbers (2, 3), authored (9), ordering provider (12)."""
    if ctx.patient_ref is None:
        return
    tables = ctx.tables
    is_rxo = segment.name == "RXO"
    drug = dt.codeable(segment.first(1 if is_rxo else 2), tables)
    amount = segment.get(2 if is_rxo else 3)
    unit_no = 4 if is_rxo else 5
    order = ctx.order
    control = order.get(1).upper() if order is not None else ""
    requester = ctx.practitioner(order.first(12)) if order is not None else None
    dose = _dose(ctx, amount, segment, unit_no)
    refills = dt.decimal(segment.get(12)) if not is_rxo else None
    dispense = dt.decimal(segment.get(10)) if not is_rxo else None
    resource = dt.pruned(
        {
            "resourceType": "MedicationRequest",
            "id": _id(ctx, "MedicationRequest", segment),
            "identifier": [
                {
                    "value": order.get(n, 1),
                    "type": {"coding": [{"system": tables.code_system("HL70203"), "code": t}]},
                }
                for n, t in ((2, "PLAC"), (3, "FILL"))
                if order is not None and order.get(n, 1)
            ],
            "status": ORDER_STATUS.get(control, "active"),
            "intent": "order",
            "medicationCodeableConcept": drug or {"text": "medication"},
            "subject": {"reference": ctx.patient_ref},
            "encounter": ctx.encounter(),
            "authoredOn": ctx.datetime(order.get(9)) if order is not None else None,
            "requester": requester,
            "dosageInstruction": [{"doseAndRate": [{"doseQuantity": dose}]}] if dose else [],
            "dispenseRequest": {
                "numberOfRepeatsAllowed": refills
                if isinstance(refills, int) and refills >= 0
                else None,
                "quantity": dt.quantity(dispense, segment.first(11), tables)
                if dispense is not None
                else {},
            },
        }
    )
    ctx.last_medication = ctx.add(resource)


def map_rxr(ctx: Context, segment: Segment) -> None:
    """RXR: route (1), site (2) on the last Immunization, MedicationRequest or administration."""
    target = ctx.last_medication
    if target is None:
        return
    route = dt.codeable(segment.first(1), ctx.tables)
    site = dt.codeable(segment.first(2), ctx.tables)
    kind = target["resourceType"]
    if kind == "Immunization":
        if route:
            target["route"] = route
        if site:
            target["site"] = site
    elif kind == "MedicationRequest":
        dosages = target.setdefault("dosageInstruction", [{}])
        dosages[0].update(dt.pruned({"route": route, "site": site}))
    elif kind == "MedicationAdministration":
        target.setdefault("dosage", {}).update(dt.pruned({"route": route, "site": site}))
