"""Clinicians of a document: authors, the care team of its service event, the participants
of its encounter -> FHIR Practitioner, CareTeam, Encounter.participant.

This is what gives a patient who arrives by C-CDA a care team in clinvault: the ingest
records ``CareTeam.participant.member`` and ``Encounter.participant.individual``
Practitioners as the patient's care team (access decisions use it).

A Practitioner's id is ``npi-<NPI>`` when it has an NPI (public, and what an integrator
maps its users to), else derived from its ids; without ids it is local to the document.
Only a ``assignedPerson`` becomes a Practitioner (an ``assignedAuthoringDevice`` does not).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from clinvault.interop.ccda.context import Context, stable_id
from clinvault.interop.ccda.datatypes import (
    address,
    codeable,
    effective,
    human_name,
    id_keys,
    identifiers,
    period,
    telecom,
)
from clinvault.interop.ccda.xpath import all_of, attr, first

NPI_OID = "2.16.840.1.113883.4.6"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def practitioner(assigned: etree._Element, ctx: Context, position: str) -> str | None:
    """The Practitioner of an ``assignedEntity``/``assignedAuthor`` (added to the Bundle
    once per document); returns its reference, or ``None`` when no person is named."""
    person = first(assigned, "v:assignedPerson")
    if person is None:
        return None
    names = [n for node in all_of(person, "v:name") if (n := human_name(node))]
    resource_id = _practitioner_id(assigned, ctx, position)
    reference = f"Practitioner/{resource_id}"
    if ctx.has(reference):
        return reference
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": resource_id}
    ids = identifiers(assigned)
    if ids:
        resource["identifier"] = ids
    if names:
        resource["name"] = names
    telecoms = [t for node in all_of(assigned, "v:telecom") if (t := telecom(node))]
    if telecoms:
        resource["telecom"] = telecoms
    addresses = [a for node in all_of(assigned, "v:addr") if (a := address(node))]
    if addresses:
        resource["address"] = addresses
    specialty = codeable(first(assigned, "v:code"))
    if specialty:
        resource["qualification"] = [{"code": specialty}]
    ctx.add(resource)
    return reference


def _practitioner_id(assigned: etree._Element, ctx: Context, position: str) -> str:
    for node in all_of(assigned, "v:id"):
        extension = attr(node, "extension")
        if attr(node, "root") == NPI_OID and extension and extension.isdigit():
            return f"npi-{extension}"
    keys = id_keys(assigned)
    if keys:
        return stable_id("practitioner", *sorted(keys))
    return stable_id(ctx.document_key, "practitioner", position)


def document_authors(root: etree._Element, ctx: Context) -> list[dict[str, str]]:
    refs = []
    for number, node in enumerate(all_of(root, "v:author/v:assignedAuthor")):
        ref = practitioner(node, ctx, f"author{number}")
        if ref and {"reference": ref} not in refs:
            refs.append({"reference": ref})
    return refs


def care_team(root: etree._Element, ctx: Context) -> None:
    """``documentationOf/serviceEvent/performer`` -> one CareTeam for the document."""
    participants = []
    for number, event in enumerate(all_of(root, "v:documentationOf/v:serviceEvent")):
        for index, performer in enumerate(all_of(event, "v:performer")):
            assigned = first(performer, "v:assignedEntity")
            ref = (
                practitioner(assigned, ctx, f"performer{number}.{index}")
                if assigned is not None
                else None
            )
            if ref is None:
                continue
            member: dict[str, Any] = {"member": {"reference": ref}}
            role = codeable(first(performer, "v:functionCode"), ctx.narrative)
            if role:
                member["role"] = [role]
            if member not in participants:
                participants.append(member)
    if not participants:
        return
    team: dict[str, Any] = {
        "resourceType": "CareTeam",
        "id": ctx.new_id("CareTeam", [], "documentationOf"),
        "subject": ctx.patient_ref,
        "participant": participants,
    }
    _, low, high = effective(root, "v:documentationOf/v:serviceEvent/v:effectiveTime")
    when = period(low, high)
    if when:
        team["period"] = when
    ctx.add(team)


def encounter_participants(
    encounter: etree._Element, ctx: Context, position: str
) -> list[dict[str, Any]]:
    """``encounterParticipant`` / ``responsibleParty`` (header) or ``performer`` (entry)."""
    out: list[dict[str, Any]] = []
    paths = (
        ("v:encounterParticipant", None),
        ("v:responsibleParty", "RESP"),
        ("v:performer", "PPRF"),
    )
    for path, default_type in paths:
        for number, node in enumerate(all_of(encounter, path)):
            assigned = first(node, "v:assignedEntity")
            if assigned is None:
                continue
            ref = practitioner(assigned, ctx, f"{position}.{path}{number}")
            if ref is None:
                continue
            kind = attr(node, "typeCode") if default_type is None else default_type
            participant: dict[str, Any] = {"individual": {"reference": ref}}
            if kind:
                participant["type"] = [{"coding": [{"system": PARTICIPATION_TYPE, "code": kind}]}]
            out.append(participant)
    return out
