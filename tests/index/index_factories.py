"""Builders for index tests: pseudonymized chunks shaped like the ingest pipeline's."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from clinvault.model import Chunk

PATIENT_A = "PT-3F9A1C0B7D2E4A61"
PATIENT_B = "PT-0B7D2E4A613F9A1C"
HBA1C = "http://loinc.org|4548-4"
GLUCOSE = "http://loinc.org|2345-7"
METFORMIN = "http://www.nlm.nih.gov/research/umls/rxnorm|860975"
_NAMESPACE = uuid.UUID("6f1d0c5e-7a0b-4b8e-9a55-3c2f1e0d9b11")


def chunk_id(resource: str, part: int = 0) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{resource}#{part}"))


def resource_token(patient: str, n: int) -> str:
    return f"RES-{uuid.uuid5(_NAMESPACE, f'{patient}/{n}').hex[:16].upper()}"


def make_chunk(
    patient: str,
    n: int,
    text: str,
    *,
    resource_type: str = "Observation",
    date: str | None = None,
    codes: tuple[str, ...] = (),
    display: str | None = None,
    part: int = 0,
) -> Chunk:
    resource = resource_token(patient, n)
    return Chunk(
        chunk_id=chunk_id(resource, part),
        patient=patient,
        resource_type=resource_type,
        resource=resource,
        kind="resource",
        text=text,
        date=date,
        codes=codes,
        display=display,
    )


def hba1c_series(patient: str, count: int = 20, first_n: int = 100) -> list[Chunk]:
    """HbA1c results every ~4 months from 2012, alternating date and dateTime forms."""
    chunks = []
    start = date(2012, 1, 15)
    for i in range(count):
        day = start + timedelta(days=122 * i)
        stamp = day.isoformat() if i % 2 else f"{day.isoformat()}T08:{i:02d}:00+00:00"
        value = 6.0 + (i % 7) / 10
        chunks.append(
            make_chunk(
                patient,
                first_n + i,
                f"Observation Hemoglobin A1c/Hemoglobin.total in Blood: {value} % on {day}.",
                date=stamp,
                codes=(HBA1C,),
                display="Hemoglobin A1c/Hemoglobin.total in Blood",
            )
        )
    return chunks


def background_chunks(patient: str, first_n: int = 0) -> list[Chunk]:
    """A varied record: conditions, medications, other labs, a note."""
    texts = [
        ("Condition", "Condition Essential hypertension, onset 2009-04-02, active.", None),
        ("Condition", "Condition Type 2 diabetes mellitus, onset 2011-10-20, active.", None),
        ("MedicationRequest", "Medication lisinopril 10 MG oral tablet, daily, active.", None),
        ("MedicationRequest", "Medication atorvastatin 20 MG oral tablet, nightly.", None),
        ("Observation", "Observation Body weight: 92 kg on 2019-05-01.", "2019-05-01"),
        ("Observation", "Observation Systolic blood pressure: 142 mm[Hg] on 2019-05-01.", None),
        ("Observation", "Observation Glucose [Mass/volume] in Blood: 131 mg/dL.", "2019-05-01"),
        ("Observation", "Observation Creatinine in Serum: 1.1 mg/dL on 2018-11-12.", "2018-11-12"),
        ("Immunization", "Immunization influenza vaccine, seasonal, given 2018-10-01.", None),
        ("DocumentReference", "Note: patient reports fatigue and increased thirst.", None),
        ("Procedure", "Procedure colonoscopy performed 2017-06-09, no polyps.", "2017-06-09"),
        ("AllergyIntolerance", "Allergy to penicillin, reaction hives, high criticality.", None),
    ]
    return [
        make_chunk(patient, first_n + i, text, resource_type=rtype, date=when)
        for i, (rtype, text, when) in enumerate(texts)
    ]


METFORMIN_TEXT = "Medication metformin hydrochloride 500 MG oral tablet, twice daily, active."
