"""A small hand-built FHIR cohort for the ask tests: one patient with many look-alike results.

``Anna Quill`` (MRN, phone, real birth date) has 20 HbA1c results over the years (the newest
is 7.9 %), allergies, active and resolved conditions, active and stopped medications, an
immunization, and a note holding a fact found nowhere else (a dog bite). A second patient
exists so that retrieval can be shown never to cross patients.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PATIENT_ID = "anna-1"
OTHER_ID = "bert-2"
NAME_GIVEN = "Anna"
NAME_FAMILY = "Quillfeather"
MRN = "MRN7731902"
PHONE = "555-867-5309"
BIRTH_DATE = "1961-04-17"
HBA1C_LOINC = "4548-4"
LATEST_HBA1C = "7.9"
FLU_DATE = "2023-10-02"
NOTE_FACT = "bitten by a neighbour's dog"

REAL_VALUES = (NAME_FAMILY, MRN, PHONE, BIRTH_DATE, "Quillfeather, Anna")


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _code(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _patient(pid: str, given: str, family: str, mrn: str, phone: str, birth: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                    ]
                },
                "system": "http://hospital.example/mrn",
                "value": mrn,
            }
        ],
        "name": [{"family": family, "given": [given]}],
        "telecom": [{"system": "phone", "value": phone}],
        "gender": "female",
        "birthDate": birth,
    }


def _observation(
    oid: str, pid: str, loinc: str, display: str, value: float, unit: str, when: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            _code(
                "http://terminology.hl7.org/CodeSystem/observation-category",
                "laboratory",
                "Laboratory",
            )
        ],
        "code": _code("http://loinc.org", loinc, display),
        "subject": {"reference": f"urn:uuid:{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def hba1c_series() -> list[tuple[str, str]]:
    """(date, value) of the 20 HbA1c results, oldest first; the last is the newest."""
    start = date(2012, 3, 1)
    values = [
        6.1,
        6.3,
        6.2,
        6.6,
        6.4,
        6.8,
        7.0,
        6.9,
        7.2,
        7.1,
        7.4,
        7.3,
        7.6,
        7.5,
        7.7,
        7.4,
        7.8,
        7.6,
        8.1,
        float(LATEST_HBA1C),
    ]
    return [
        ((start + timedelta(days=190 * i)).isoformat(), f"{v:.1f}") for i, v in enumerate(values)
    ]


def patient_resources() -> list[dict[str, Any]]:
    pid = PATIENT_ID
    subject = {"reference": f"urn:uuid:{pid}"}
    resources: list[dict[str, Any]] = [
        _patient(pid, NAME_GIVEN, NAME_FAMILY, MRN, PHONE, BIRTH_DATE)
    ]
    for i, (when, value) in enumerate(hba1c_series()):
        resources.append(
            _observation(
                f"a1c-{i}",
                pid,
                HBA1C_LOINC,
                "Hemoglobin A1c/Hemoglobin.total in Blood",
                float(value),
                "%",
                when,
            )
        )
    for i, (when, systolic) in enumerate(
        [("2019-05-02", 128.0), ("2021-06-11", 134.0), ("2024-02-20", 141.0)]
    ):
        resources.append(
            _observation(
                f"bp-{i}", pid, "8480-6", "Systolic blood pressure", systolic, "mm[Hg]", when
            )
        )
    resources += [
        {
            "resourceType": "AllergyIntolerance",
            "id": "allergy-1",
            "clinicalStatus": _code(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                "active",
                "Active",
            ),
            "code": _code("http://snomed.info/sct", "91936005", "Allergy to penicillin"),
            "patient": subject,
            "recordedDate": "2010-01-05",
        },
        {
            "resourceType": "AllergyIntolerance",
            "id": "allergy-2",
            "clinicalStatus": _code(
                "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                "active",
                "Active",
            ),
            "code": _code("http://snomed.info/sct", "300913006", "Shellfish allergy"),
            "patient": subject,
            "recordedDate": "2015-07-19",
        },
        {
            "resourceType": "Condition",
            "id": "cond-dm",
            "clinicalStatus": _code(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
            ),
            "code": _code("http://snomed.info/sct", "44054006", "Diabetes mellitus type 2"),
            "subject": subject,
            "onsetDateTime": "2011-11-30",
        },
        {
            "resourceType": "Condition",
            "id": "cond-htn",
            "clinicalStatus": _code(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"
            ),
            "code": _code("http://snomed.info/sct", "38341003", "Essential hypertension"),
            "subject": subject,
            "onsetDateTime": "2016-02-14",
        },
        {
            "resourceType": "Condition",
            "id": "cond-bronchitis",
            "clinicalStatus": _code(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", "Resolved"
            ),
            "code": _code("http://snomed.info/sct", "10509002", "Acute bronchitis"),
            "subject": subject,
            "onsetDateTime": "2018-01-09",
            "abatementDateTime": "2018-01-30",
        },
        {
            "resourceType": "MedicationRequest",
            "id": "med-metformin",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": _code(
                "http://www.nlm.nih.gov/research/umls/rxnorm",
                "860975",
                "metformin hydrochloride 500 MG Oral Tablet",
            ),
            "subject": subject,
            "authoredOn": "2012-03-05",
        },
        {
            "resourceType": "MedicationRequest",
            "id": "med-lisinopril",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": _code(
                "http://www.nlm.nih.gov/research/umls/rxnorm",
                "314076",
                "lisinopril 10 MG Oral Tablet",
            ),
            "subject": subject,
            "authoredOn": "2016-02-20",
        },
        {
            "resourceType": "MedicationRequest",
            "id": "med-amoxicillin",
            "status": "stopped",
            "intent": "order",
            "medicationCodeableConcept": _code(
                "http://www.nlm.nih.gov/research/umls/rxnorm",
                "308182",
                "amoxicillin 250 MG Oral Capsule",
            ),
            "subject": subject,
            "authoredOn": "2018-01-09",
        },
        {
            "resourceType": "Immunization",
            "id": "imm-flu",
            "status": "completed",
            "vaccineCode": _code(
                "http://hl7.org/fhir/sid/cvx",
                "140",
                "Influenza, seasonal, injectable, preservative free",
            ),
            "patient": subject,
            "occurrenceDateTime": FLU_DATE,
        },
        {
            "resourceType": "DocumentReference",
            "id": "note-1",
            "status": "current",
            "type": _code("http://loinc.org", "11506-3", "Progress note"),
            "subject": subject,
            "date": "2022-08-03T10:00:00Z",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": base64.b64encode(
                            (
                                f"Ms. {NAME_FAMILY} came in today. She reports she was {NOTE_FACT} "
                                "on her left forearm last week; the wound is healing well. "
                                f"Call back at {PHONE} if fever develops."
                            ).encode()
                        ).decode(),
                    }
                }
            ],
        },
    ]
    return resources


def other_patient_resources() -> list[dict[str, Any]]:
    pid = OTHER_ID
    return [
        _patient(pid, "Bert", "Oakhampton", "MRN5550001", "555-201-7788", "1950-09-09"),
        _observation(
            "b-a1c-0",
            pid,
            HBA1C_LOINC,
            "Hemoglobin A1c/Hemoglobin.total in Blood",
            9.9,
            "%",
            "2025-01-01",
        ),
    ]


def write_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [_entry(r) for r in (*patient_resources(), *other_patient_resources())],
    }
    path = folder / "cohort.json"
    path.write_text(json.dumps(bundle, indent=1))
    return path
