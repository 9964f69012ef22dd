"""One HL7 v2 message -> one FHIR R4 transaction Bundle (PUT entries with stable ids).

    converter = Converter(options)                  # loads the mapping tables once
    bundle = converter.convert(message)             # raises Hl7MappingError (clear, no PHI)
    batch = converter.convert_text(data, where)     # every message of a file or frame

The message family (``mappings/<family>.toml``) is chosen by MSH-9.1 and names, per
segment, the mapper that reads it; segments without a mapper (Z-segments, EVN, SFT, ...)
are passed over and listed in ``Conversion.unmapped``. The patient (first PID) and
visit (first PV1) ids are known before any segment is mapped, so an SIU's SCH, which
comes before its PID, still names the patient.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.context import Context, Options, PatientResolver
from clinvault.interop.hl7v2.errors import Hl7MappingError, Hl7ParseError
from clinvault.interop.hl7v2.message import Message, Segment
from clinvault.interop.hl7v2.parser import parse_batch
from clinvault.interop.hl7v2.segments import MAPPERS
from clinvault.interop.hl7v2.segments.encounter import encounter_id
from clinvault.interop.hl7v2.segments.patient import mrn_of, patient_id
from clinvault.interop.hl7v2.segments.results import close_note
from clinvault.interop.hl7v2.tables import Tables


@dataclass(frozen=True, slots=True)
class Conversion:
    message: Message
    bundle: dict[str, Any]
    unmapped: tuple[str, ...]
    """Segment names present but not mapped (Z-segments, EVN, SFT ...): kept in the
    original, which the vault seals, not in FHIR."""


@dataclass(frozen=True, slots=True)
class BatchConversion:
    conversions: tuple[Conversion, ...]
    errors: tuple[Hl7ParseError, ...]


class Converter:
    def __init__(
        self,
        options: Options | None = None,
        tables: Tables | None = None,
        resolver: PatientResolver | None = None,
    ) -> None:
        self.options = options or Options()
        self.resolver = resolver
        base = tables or Tables.load()
        if self.options.authority_systems:
            base = replace(base, authorities=dict(self.options.authority_systems))
        self.tables = base
        self.clock = dt.Clock(self.options.zone)

    def convert_text(self, data: bytes | str, where: str = "message") -> BatchConversion:
        batch = parse_batch(data, where)
        conversions: list[Conversion] = []
        errors = list(batch.errors)
        for message in batch.messages:
            try:
                conversions.append(self.convert(message))
            except Hl7ParseError as exc:
                errors.append(exc)
        return BatchConversion(tuple(conversions), tuple(errors))

    def convert(self, message: Message) -> Conversion:
        where = message.where
        family = self.tables.family_for(message.message_code)
        if family is None:
            raise Hl7MappingError(
                f"message type {message.message_code}^{message.trigger_event} is not mapped",
                where=where,
                segment="MSH",
                field=9,
                code="200",
            )
        event = family.event(message.trigger_event)
        if event is None:
            raise Hl7MappingError(
                f"trigger event {message.message_code}^{message.trigger_event} is not mapped",
                where=where,
                segment="MSH",
                field=9,
                code="201",
            )
        allowed = self.options.allowed_facilities
        if allowed and message.sending_facility not in allowed:
            raise Hl7MappingError(
                "sending facility (MSH-4) is not allowed by settings",
                where=where,
                segment="MSH",
                field=4,
                code="207",
            )
        ctx = Context(message, self.tables, family, event, self.options, self.clock)
        pid = message.one("PID")
        if pid is None:
            raise Hl7MappingError(
                "no PID segment: the patient is unknown", where=where, segment="PID", code="101"
            )
        ctx.patient_ref = f"Patient/{patient_id(pid, ctx)}"
        self._resolve_patient(ctx, pid)
        pv1 = message.one("PV1")
        if pv1 is not None and _has_visit(pv1):
            ctx.encounter_ref = f"Encounter/{encounter_id(pv1, ctx)}"
        unmapped: list[str] = []
        for segment in message:
            name = family.segments.get(segment.name)
            if name is None:
                if segment.name != "MSH" and segment.name not in unmapped:
                    unmapped.append(segment.name)
                continue
            MAPPERS[name](ctx, segment)
        close_note(ctx)
        return Conversion(message, self._bundle(ctx), tuple(unmapped))

    def _resolve_patient(self, ctx: Context, pid: Segment) -> None:
        if self.resolver is None:
            return
        rep = mrn_of(pid, ctx)
        if rep is None:
            return
        known = self.resolver(dt.authority_system(rep, self.tables, comp=4), rep.get(1))
        if known is not None and isinstance(known.get("id"), str):
            ctx.patient_ref = f"Patient/{known['id']}"
            ctx.known_patient = known

    def _bundle(self, ctx: Context) -> dict[str, Any]:
        entries = []
        if ctx.encounter_ref and ctx.encounter_ref not in ctx.resources:
            ctx.encounter_ref = None
        for key, resource in ctx.resources.items():
            _finish(resource)
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{resource['id']}",
                    "resource": resource,
                    "request": {"method": "PUT", "url": key},
                }
            )
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}

    def iter_resources(self, bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for entry in bundle.get("entry", []):
            yield entry["resource"]


def _has_visit(pv1: Any) -> bool:
    return any(pv1.get(n) for n in (2, 3, 19, 44))


def _finish(resource: dict[str, Any]) -> None:
    """Fills elements R4 requires that a sparse message may lack."""
    if resource["resourceType"] == "DocumentReference" and "content" not in resource:
        resource["content"] = [
            {"attachment": {"contentType": "text/plain", "title": "document without text"}}
        ]
