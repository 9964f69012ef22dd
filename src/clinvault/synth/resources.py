"""FHIR R4 resources (as JSON-ready dicts) from the synthetic people and events.

References between resources are ``urn:uuid:<id>``, as inside a transaction Bundle.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from clinvault.synth import clinical as cl
from clinvault.synth.events import (
    AllergyEvent,
    ConditionEvent,
    Encounter,
    ImmunizationEvent,
    MedicationEvent,
    ObservationEvent,
    ProcedureEvent,
)
from clinvault.synth.notes import Note
from clinvault.synth.person import Person, PersonName
from clinvault.synth.places import Address
from clinvault.synth.staff import Clinician, Facility

Json = dict[str, Any]

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.19.5"
SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"


def ref(resource_id: str) -> Json:
    return {"reference": f"urn:uuid:{resource_id}"}


def coding(code: cl.Code) -> Json:
    return {"system": code.system, "code": code.code, "display": code.display}


def concept(code: cl.Code, text: str | None = None) -> Json:
    return {"coding": [coding(code)], "text": text or code.display}


def simple_concept(system: str, code: str, display: str) -> Json:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def address_json(address: Address, use: str = "home") -> Json:
    return {
        "use": use,
        "line": address.lines,
        "city": address.city.name,
        "state": address.city.state,
        "postalCode": address.postal_code,
        "country": "US",
    }


def human_name(name: PersonName, use: str, prefix: str | None = None) -> Json:
    given = [name.given] + ([name.middle] if name.middle else [])
    result: Json = {"use": use, "text": name.full, "family": name.family, "given": given}
    if prefix:
        result["prefix"] = [prefix]
    return result


def _race_extension(person: Person) -> Json:
    inner: list[Json] = [
        {
            "url": "ombCategory",
            "valueCoding": {"system": r.system, "code": r.code, "display": r.display},
        }
        for r in person.races
    ]
    inner.append({"url": "text", "valueString": person.race_text})
    return {"url": f"{US_CORE}/us-core-race", "extension": inner}


def _ethnicity_extension(person: Person) -> Json:
    eth = person.ethnicity
    inner: list[Json] = [
        {
            "url": "ombCategory",
            "valueCoding": {"system": eth.system, "code": eth.code, "display": eth.display},
        }
    ]
    if person.ethnicity_detail:
        detail = person.ethnicity_detail
        inner.append(
            {
                "url": "detailed",
                "valueCoding": {
                    "system": detail.system,
                    "code": detail.code,
                    "display": detail.display,
                },
            }
        )
    inner.append({"url": "text", "valueString": eth.display})
    return {"url": f"{US_CORE}/us-core-ethnicity", "extension": inner}


def patient(person: Person, patient_id: str, gp: Clinician, facility: Facility) -> Json:
    names = [human_name(person.name, "official", person.prefix)]
    if person.nickname:
        names.append({"use": "nickname", "given": [person.nickname]})
    if person.maiden_name:
        maiden = PersonName(person.name.given, person.maiden_name)
        names.append(human_name(maiden, "maiden"))
    telecom: list[Json] = [{"system": "phone", "value": person.phone, "use": "home"}]
    if person.email:
        telecom.append({"system": "email", "value": person.email, "use": "home"})
    relative = person.relative
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "extension": [_race_extension(person), _ethnicity_extension(person)],
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {"system": V2_0203, "code": "MR", "display": "Medical record number"}
                    ],
                    "text": "Medical record number",
                },
                "system": MRN_SYSTEM,
                "value": person.mrn,
            },
            {
                "type": {
                    "coding": [
                        {"system": V2_0203, "code": "SS", "display": "Social Security number"}
                    ],
                    "text": "Social Security number",
                },
                "system": SSN_SYSTEM,
                "value": person.ssn,
            },
        ],
        "active": True,
        "name": names,
        "telecom": telecom,
        "gender": person.sex,
        "birthDate": person.birth_date.isoformat(),
        "address": [address_json(person.address)],
        "contact": [
            {
                "relationship": [
                    simple_concept(f"{TERMINOLOGY}/v2-0131", "C", "Emergency Contact"),
                    {
                        **simple_concept(
                            "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                            relative.relationship.code,
                            relative.relationship.display,
                        ),
                        "text": relative.relationship.word,
                    },
                ],
                "name": human_name(relative.name, "official"),
                "telecom": [{"system": "phone", "value": relative.phone, "use": "mobile"}],
                "gender": relative.sex,
            }
        ],
        "communication": [
            {
                "language": {
                    "coding": [
                        {
                            "system": "urn:ietf:bcp:47",
                            "code": person.language.code,
                            "display": person.language.display,
                        }
                    ],
                    "text": person.language.display,
                },
                "preferred": True,
            }
        ],
        "generalPractitioner": [ref(gp.id)],
        "managingOrganization": ref(facility.id),
    }


def practitioner(clinician: Clinician) -> Json:
    name = human_name(clinician.name, "official", None if clinician.role == "nurse" else "Dr.")
    name["suffix"] = [clinician.suffix]
    return {
        "resourceType": "Practitioner",
        "id": clinician.id,
        "identifier": [{"system": NPI_SYSTEM, "value": clinician.npi}],
        "active": True,
        "name": [name],
        "telecom": [{"system": "phone", "value": clinician.phone, "use": "work"}],
        "gender": clinician.sex,
    }


def organization(facility: Facility) -> Json:
    return {
        "resourceType": "Organization",
        "id": facility.id,
        "identifier": [{"system": NPI_SYSTEM, "value": facility.npi}],
        "active": True,
        "type": [simple_concept(f"{TERMINOLOGY}/organization-type", "prov", "Healthcare Provider")],
        "name": facility.name,
        "telecom": [{"system": "phone", "value": facility.phone, "use": "work"}],
        "address": [address_json(facility.address, "work")],
    }


def encounter(event: Encounter, patient_id: str, facility: Facility) -> Json:
    kind = cl.ENCOUNTER_TYPES[event.kind]
    result: Json = {
        "resourceType": "Encounter",
        "id": event.id,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": kind.act_class,
            "display": cl.ACT_CLASS_DISPLAY[kind.act_class],
        },
        "type": [concept(kind.code)],
        "subject": ref(patient_id),
        "participant": [
            {
                "type": [
                    simple_concept(
                        f"{TERMINOLOGY}/v3-ParticipationType", "PPRF", "primary performer"
                    )
                ],
                "individual": ref(event.clinician.id),
            }
        ],
        "period": {"start": instant(event.start), "end": instant(event.end)},
        "serviceProvider": ref(facility.id),
    }
    if event.reasons:
        result["reasonCode"] = [concept(c.spec.code) for c in event.reasons]
    return result


def condition(event: ConditionEvent, patient_id: str) -> Json:
    active = event.abatement is None
    result: Json = {
        "resourceType": "Condition",
        "id": event.id,
        "clinicalStatus": simple_concept(
            f"{TERMINOLOGY}/condition-clinical",
            "active" if active else "resolved",
            "Active" if active else "Resolved",
        ),
        "verificationStatus": simple_concept(
            f"{TERMINOLOGY}/condition-ver-status", "confirmed", "Confirmed"
        ),
        "category": [
            simple_concept(
                f"{TERMINOLOGY}/condition-category",
                "problem-list-item" if event.spec.chronic else "encounter-diagnosis",
                "Problem List Item" if event.spec.chronic else "Encounter Diagnosis",
            )
        ],
        "code": concept(event.spec.code),
        "subject": ref(patient_id),
        "onsetDateTime": event.onset.isoformat(),
        "recordedDate": event.onset.isoformat(),
    }
    if event.encounter is not None:
        result["encounter"] = ref(event.encounter.id)
    if event.abatement is not None:
        result["abatementDateTime"] = event.abatement.isoformat()
    return result


def _quantity(value: float, spec: cl.ObservationSpec) -> Json:
    number: float | int = int(value) if spec.decimals == 0 else value
    return {"value": number, "unit": spec.unit, "system": cl.UCUM, "code": spec.unit}


def observation(event: ObservationEvent, patient_id: str) -> Json:
    spec = event.spec
    result: Json = {
        "resourceType": "Observation",
        "id": event.id,
        "status": "final",
        "category": [
            simple_concept(
                f"{TERMINOLOGY}/observation-category",
                spec.category,
                "Laboratory" if spec.category == "laboratory" else "Vital Signs",
            )
        ],
        "code": concept(spec.code),
        "subject": ref(patient_id),
        "encounter": ref(event.encounter.id),
        "effectiveDateTime": instant(event.effective),
        "issued": instant(event.effective),
    }
    if event.components:
        result["component"] = [
            {"code": concept(part.code), "valueQuantity": _quantity(value, part)}
            for part, value in event.components
        ]
    else:
        result["valueQuantity"] = _quantity(event.value, spec)
    return result


def medication_request(event: MedicationEvent, patient_id: str) -> Json:
    result: Json = {
        "resourceType": "MedicationRequest",
        "id": event.id,
        "status": event.status,
        "intent": "order",
        "medicationCodeableConcept": concept(event.spec.code),
        "subject": ref(patient_id),
        "encounter": ref(event.encounter.id),
        "authoredOn": instant(event.authored),
        "requester": ref(event.encounter.clinician.id),
        "dosageInstruction": [{"text": event.spec.dosage}],
    }
    if event.reason is not None:
        result["reasonReference"] = [ref(event.reason.id)]
    if event.status_reason:
        result["statusReason"] = {"text": event.status_reason}
    if event.ended is not None and event.status != "active":
        result["dispenseRequest"] = {
            "validityPeriod": {
                "start": event.authored.date().isoformat(),
                "end": event.ended.isoformat(),
            }
        }
    return result


def allergy(event: AllergyEvent, patient_id: str) -> Json:
    return {
        "resourceType": "AllergyIntolerance",
        "id": event.id,
        "clinicalStatus": simple_concept(
            f"{TERMINOLOGY}/allergyintolerance-clinical", "active", "Active"
        ),
        "verificationStatus": simple_concept(
            f"{TERMINOLOGY}/allergyintolerance-verification", "confirmed", "Confirmed"
        ),
        "type": "allergy",
        "category": [event.spec.category],
        "criticality": event.criticality,
        "code": concept(event.spec.code),
        "patient": ref(patient_id),
        "encounter": ref(event.encounter.id),
        "recordedDate": instant(event.recorded),
        "reaction": [
            {
                "manifestation": [concept(event.manifestation)],
                "severity": event.severity,
            }
        ],
    }


def immunization(event: ImmunizationEvent, patient_id: str) -> Json:
    return {
        "resourceType": "Immunization",
        "id": event.id,
        "status": "completed",
        "vaccineCode": concept(event.code),
        "patient": ref(patient_id),
        "encounter": ref(event.encounter.id),
        "occurrenceDateTime": instant(event.when),
        "primarySource": True,
    }


def procedure(event: ProcedureEvent, patient_id: str) -> Json:
    result: Json = {
        "resourceType": "Procedure",
        "id": event.id,
        "status": "completed",
        "code": concept(event.code),
        "subject": ref(patient_id),
        "encounter": ref(event.encounter.id),
        "performedDateTime": instant(event.when),
    }
    if event.reason is not None:
        result["reasonReference"] = [ref(event.reason.id)]
    return result


def document_reference(note: Note, patient_id: str, facility: Facility) -> Json:
    note_type = cl.NOTE_TYPES[note.kind]
    data = base64.b64encode(note.text.encode("utf-8")).decode("ascii")
    return {
        "resourceType": "DocumentReference",
        "id": note.id,
        "status": "current",
        "docStatus": "final",
        "type": concept(note_type.code),
        "category": [
            simple_concept(
                "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "clinical-note",
                "Clinical Note",
            )
        ],
        "subject": ref(patient_id),
        "date": instant(note.date),
        "author": [ref(note.author.id)],
        "custodian": ref(facility.id),
        "description": note_type.title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": data,
                    "title": note_type.title,
                    "creation": instant(note.date),
                }
            }
        ],
        "context": {
            "encounter": [ref(note.encounter.id)],
            "period": {"start": instant(note.encounter.start), "end": instant(note.encounter.end)},
        },
    }
