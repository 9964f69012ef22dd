"""SCH (appointment), AIS (service), AIP (person), AIL (location): an Appointment."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context
from clinvault.interop.hl7v2.message import Segment

MINUTES = MappingProxyType({"MIN": 1, "M": 1, "S": 1 / 60, "H": 60, "HR": 60, "D": 1440})


def map_sch(ctx: Context, segment: Segment) -> None:
    """SCH: placer id (1), filler id (2), reason (6), type (7/8), duration (9) and units
    (10), timing (11: start 4, end 5), filler status (25)."""
    tables = ctx.tables
    key = segment.get(2, 1) or segment.get(1, 1)
    appointment_id = (
        ctx.stable_id("Appointment", ctx.facility, segment.get(2, 2) or segment.get(1, 2), key)
        if key
        else ctx.positional_id("Appointment", segment)
    )
    status = tables.lookup("appointment_status", segment.get(25, 1).capitalize()) or "booked"
    start = ctx.datetime(segment.get(11, 4))
    end = ctx.datetime(segment.get(11, 5))
    duration = dt.decimal(segment.get(9))
    minutes = int(duration * MINUTES.get(segment.get(10, 1).upper(), 1)) if duration else None
    reason = dt.codeable(segment.first(7), tables)
    participants = []
    if ctx.patient_ref:
        participants.append({"actor": {"reference": ctx.patient_ref}, "status": "accepted"})
    resource = dt.pruned(
        {
            "resourceType": "Appointment",
            "id": appointment_id,
            "identifier": [{"value": v} for v in (segment.get(1, 1), segment.get(2, 1)) if v],
            "status": status,
            "appointmentType": dt.codeable(segment.first(8), tables),
            "reasonCode": [reason] if reason else [],
            "minutesDuration": minutes if minutes and minutes > 0 else None,
            "participant": participants,
        }
    )
    ctx.appointment = ctx.add(resource)
    _set_times(ctx, start, end, minutes)


def _set_times(ctx: Context, start: str | None, end: str | None, minutes: int | None) -> None:
    appointment = ctx.appointment
    if appointment is None or not start:
        return
    if not end and minutes:
        try:
            end = (datetime.fromisoformat(start) + timedelta(minutes=minutes)).isoformat()
        except ValueError:
            end = None
    if end and "T" in start and "T" in end:
        appointment["start"], appointment["end"] = start, end
    else:
        appointment["requestedPeriod"] = [dt.pruned({"start": start, "end": end})]


def map_ais(ctx: Context, segment: Segment) -> None:
    """AIS: service (3), start (4), duration (7) and units (8)."""
    appointment = ctx.appointment
    if appointment is None:
        return
    service = dt.codeable(segment.first(3), ctx.tables)
    if service:
        appointment.setdefault("serviceType", []).append(service)
    if "start" not in appointment:
        duration = dt.decimal(segment.get(7))
        minutes = int(duration * MINUTES.get(segment.get(8, 1).upper(), 1)) if duration else None
        appointment.pop("requestedPeriod", None)
        _set_times(ctx, ctx.datetime(segment.get(4)), None, minutes)


def map_aip(ctx: Context, segment: Segment) -> None:
    """AIP: personnel (3) as a participant."""
    appointment = ctx.appointment
    if appointment is None:
        return
    for rep in segment.repetitions(3):
        who = ctx.practitioner(rep)
        if who:
            appointment.setdefault("participant", []).append({"actor": who, "status": "accepted"})


def map_ail(ctx: Context, segment: Segment) -> None:
    """AIL: location (3) as a participant, by display."""
    appointment = ctx.appointment
    rep = segment.first(3)
    if appointment is None or rep is None:
        return
    display = ", ".join(p for p in (rep.component(c) for c in (1, 2, 3, 4)) if p)
    if display:
        appointment.setdefault("participant", []).append(
            {"actor": {"display": display}, "status": "accepted"}
        )
