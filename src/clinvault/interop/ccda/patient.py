"""``recordTarget/patientRole`` -> FHIR Patient (US Core shape).

Names, addresses, telecoms, birth date (its precision kept), gender, identifiers, marital
status, race and ethnicity (US Core extensions, ``raceCode`` plus ``sdtc:raceCode``),
languages, deceased. The id is derived from the patient's identifiers (MRN-like ids before
the SSN) so the same patient in two documents is one Patient; without identifiers it is
derived from the document.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from clinvault.interop.ccda.context import stable_id
from clinvault.interop.ccda.datatypes import (
    address,
    codeable,
    coding,
    human_name,
    id_keys,
    identifiers,
    telecom,
    ts_of,
)
from clinvault.interop.ccda.systems import SSN_OID
from clinvault.interop.ccda.xpath import all_of, attr, first

GENDER = {"M": "male", "F": "female", "UN": "other", "O": "other"}
RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
OMB_RACE = frozenset({"1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "2131-1"})
OMB_ETHNICITY = frozenset({"2135-2", "2186-5"})
CDC_RACE = "urn:oid:2.16.840.1.113883.6.238"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"


def patient_id(role: etree._Element, document_key: str) -> str:
    keys = id_keys(role)
    preferred = [k for k in keys if not k.startswith(SSN_OID + "|")] or keys
    if preferred:
        return stable_id("patient", *sorted(preferred))
    return stable_id(document_key, "patient")


def patient_resource(role: etree._Element, resource_id: str) -> dict[str, Any]:
    person = first(role, "v:patient")
    patient: dict[str, Any] = {"resourceType": "Patient", "id": resource_id}
    ids = [_typed(i) for i in identifiers(role)]
    if ids:
        patient["identifier"] = ids
    if person is None:
        return patient
    names = [n for node in all_of(person, "v:name") if (n := human_name(node))]
    if names:
        patient["name"] = names
    telecoms = [x for node in all_of(role, "v:telecom") if (x := telecom(node))]
    if telecoms:
        patient["telecom"] = telecoms
    gender = first(person, "v:administrativeGenderCode")
    code = attr(gender, "code")
    if gender is not None:
        patient["gender"] = GENDER.get(code or "", "unknown")
    birth = ts_of(first(person, "v:birthTime"))
    if birth:
        patient["birthDate"] = birth[:10]
    _deceased(person, patient)
    addresses = [a for node in all_of(role, "v:addr") if (a := address(node))]
    if addresses:
        patient["address"] = addresses
    marital = codeable(first(person, "v:maritalStatusCode"))
    if marital:
        patient["maritalStatus"] = marital
    extensions = [
        e
        for e in (
            _category_extension(person, RACE, "raceCode", OMB_RACE),
            _category_extension(person, ETHNICITY, "ethnicGroupCode", OMB_ETHNICITY),
        )
        if e
    ]
    if extensions:
        patient["extension"] = extensions
    languages = _languages(person)
    if languages:
        patient["communication"] = languages
    return patient


def _typed(identifier: dict[str, Any]) -> dict[str, Any]:
    """A patientRole id is the sender's medical record number (type MR), an SSN (type SS),
    or (without an extension) a plain URI id left untyped."""
    if identifier.get("system") == "urn:ietf:rfc:3986":
        return identifier
    code = "SS" if identifier.get("system") == SSN_SYSTEM else "MR"
    return {"type": {"coding": [{"system": IDENTIFIER_TYPE, "code": code}]}, **identifier}


def medical_record_numbers(patient: dict[str, Any]) -> list[tuple[str, str]]:
    """``(system, value)`` of the Patient's MR identifiers, in document order."""
    return [
        (i["system"], i["value"])
        for i in patient.get("identifier", [])
        if i.get("type", {}).get("coding", [{}])[0].get("code") == "MR"
    ]


def _deceased(person: etree._Element, patient: dict[str, Any]) -> None:
    when = ts_of(first(person, "sdtc:deceasedTime"))
    flag = attr(first(person, "sdtc:deceasedInd"), "value")
    if when and len(when) > 10:
        patient["deceasedDateTime"] = when
    elif flag in ("true", "false"):
        patient["deceasedBoolean"] = flag == "true"


def _category_extension(
    person: etree._Element, url: str, element: str, omb: frozenset[str]
) -> dict[str, Any] | None:
    nodes = [*all_of(person, f"v:{element}"), *all_of(person, f"sdtc:{element}")]
    parts: list[dict[str, Any]] = []
    names: list[str] = []
    for node in nodes:
        c = coding(node)
        if c is None:
            continue
        c["system"] = CDC_RACE
        names.append(c.get("display", c["code"]))
        parts.append({"url": "ombCategory" if c["code"] in omb else "detailed", "valueCoding": c})
    if not parts:
        return None
    parts.append({"url": "text", "valueString": ", ".join(names)})
    return {"url": url, "extension": parts}


def _languages(person: etree._Element) -> list[dict[str, Any]]:
    out = []
    for node in all_of(person, "v:languageCommunication"):
        code = attr(first(node, "v:languageCode"), "code")
        if not code:
            continue
        item: dict[str, Any] = {
            "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]}
        }
        preferred = attr(first(node, "v:preferenceInd"), "value")
        if preferred in ("true", "false"):
            item["preferred"] = preferred == "true"
        out.append(item)
    return out
