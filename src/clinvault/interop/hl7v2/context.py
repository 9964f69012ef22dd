"""Per-message conversion state: stable ids, the resources made so far, current OBR/TXA/RXA.

Ids are UUIDv5 over a fixed namespace and a key that does not change when a message is
replayed: the business identifier the message carries when it has one (Patient: MRN with
its assigning authority; Encounter: visit number; DiagnosticReport/Observation: order
number + OBX-3 code + sub-id; DocumentReference: TXA-12; Appointment: SCH-1/SCH-2;
orders: ORC-2/ORC-3), else the sending facility + message control id + segment position.
So a replayed message produces the same resources (the vault then writes nothing), an
A08 or a corrected (``C``) result replaces the earlier version, and a cancel changes the
status of the same Encounter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from clinvault.interop.hl7v2 import datatypes as dt
from clinvault.interop.hl7v2.message import Message, Repetition, Segment
from clinvault.interop.hl7v2.tables import Family, Tables

ID_NAMESPACE = uuid.UUID("6f1c1a52-3d0e-4f44-9a0b-6b8f2f6f7c11")
DEFAULT_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class Options:
    """What settings decide (``[hl7v2]``); the defaults accept any facility and read
    timestamps without an offset as UTC."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    allowed_facilities: frozenset[str] = frozenset()
    """MSH-4 namespaces accepted; empty accepts every facility."""
    mrn_authority: str | None = None
    """PID-3 assigning authority (namespace) whose identifier is the patient's MRN; ``None``:
    the first PID-3 identifier of type MR, else the first one."""
    authority_systems: Mapping[str, str] = field(default_factory=dict)
    """Assigning-authority namespace -> FHIR identifier system (so an HL7 MRN and a FHIR
    ``Patient.identifier`` with the same system/value name one patient)."""


PatientResolver = Callable[[str, str], dict[str, Any] | None]
"""(identifier system, value) -> the stored Patient with that identifier, or None."""


@dataclass(slots=True)
class Context:
    message: Message
    tables: Tables
    family: Family
    event: Mapping[str, Any]
    options: Options
    clock: dt.Clock
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    patient_ref: str | None = None
    encounter_ref: str | None = None
    order: Segment | None = None
    report: dict[str, Any] | None = None
    observation: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    document_lines: list[str] = field(default_factory=list)
    note: dict[str, Any] | None = None
    last_medication: dict[str, Any] | None = None
    appointment: dict[str, Any] | None = None
    seen_keys: dict[str, int] = field(default_factory=dict)
    known_patient: dict[str, Any] | None = None
    """The stored Patient the MRN resolved to (its id and identifiers are kept)."""

    @property
    def facility(self) -> str:
        return self.message.sending_facility or self.message.sending_application

    def stable_id(self, resource_type: str, *key: str) -> str:
        name = "\x1f".join((resource_type, *key))
        return str(uuid.uuid5(ID_NAMESPACE, name))

    def positional_id(self, resource_type: str, segment: Segment) -> str:
        return self.stable_id(
            resource_type, "msg", self.facility, self.message.control_id, str(segment.position)
        )

    def occurrence(self, key: str) -> str:
        """Counts repeats of one business key within the message (two OBX with one code)."""
        count = self.seen_keys.get(key, 0)
        self.seen_keys[key] = count + 1
        return str(count)

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Adds (or replaces, same type and id) a resource; returns it for later filling."""
        key = f"{resource['resourceType']}/{resource['id']}"
        self.resources[key] = resource
        return resource

    def ref(self, resource: Mapping[str, Any]) -> dict[str, str]:
        return {"reference": f"{resource['resourceType']}/{resource['id']}"}

    def datetime(self, value: str) -> str | None:
        return self.clock.datetime(value) if value else None

    def practitioner(self, rep: Repetition | None) -> dict[str, str] | None:
        """XCN -> a shared Practitioner resource (id from XCN-1 + authority, else the name)."""
        if rep is None:
            return None
        name = dt.xcn_name(rep)
        ident = rep.get(1)
        if not ident and not name:
            return None
        system = dt.authority_system(rep, self.tables, comp=9)
        key = ("id", system, ident) if ident else ("name", self.facility, rep.raw)
        resource = dt.pruned(
            {
                "resourceType": "Practitioner",
                "id": self.stable_id("Practitioner", *key),
                "identifier": [{"system": system, "value": ident}] if ident else [],
                "name": [name] if name else [],
            }
        )
        self.add(resource)
        return self.ref(resource)

    def subject(self) -> dict[str, str] | None:
        return {"reference": self.patient_ref} if self.patient_ref else None

    def encounter(self) -> dict[str, str] | None:
        return {"reference": self.encounter_ref} if self.encounter_ref else None
