"""Builders of pseudonymized chunks for the LLM tests."""

from __future__ import annotations

from clinvault.model import Chunk

PATIENT = "PT-3F9A1C0B7D2E4A61"


def make_chunk(
    n: int,
    text: str,
    *,
    resource_type: str = "Observation",
    date: str | None = None,
    display: str | None = None,
) -> Chunk:
    return Chunk(
        chunk_id=f"00000000-0000-0000-0000-{n:012d}",
        patient=PATIENT,
        resource_type=resource_type,
        resource=f"RES-{n:016X}",
        kind="resource",
        text=text,
        date=date,
        display=display,
    )


def a1c_series(count: int) -> list[Chunk]:
    """``count`` HbA1c observations with distinct dates, deliberately not in date order."""
    chunks = []
    for i in range(count):
        month = (i * 7) % 12 + 1
        year = 2015 + (i * 5) % 8
        value = f"{5.0 + ((i * 13) % 40) / 10:.1f}"
        chunks.append(
            make_chunk(
                i,
                f"Hemoglobin A1c/Hemoglobin.total in Blood: {value} % (LOINC 4548-4)",
                date=f"{year}-{month:02d}-{(i % 27) + 1:02d}",
                display="Hemoglobin A1c/Hemoglobin.total in Blood",
            )
        )
    return chunks


def allergies() -> list[Chunk]:
    return [
        make_chunk(
            101,
            "Allergy to penicillin; reaction: hives",
            resource_type="AllergyIntolerance",
            date="2012-04-02",
        ),
        make_chunk(
            102,
            "Allergy to peanuts; severity: severe",
            resource_type="AllergyIntolerance",
            date="2009-11-20",
        ),
    ]


def mixed_record() -> list[Chunk]:
    return [
        *a1c_series(3),
        *allergies(),
        make_chunk(
            201,
            "Metformin 500 mg oral tablet, twice daily",
            resource_type="MedicationRequest",
            date="2019-06-01",
        ),
        make_chunk(
            202,
            "Type 2 diabetes mellitus, onset [NAME-7F3A2C91] reported",
            resource_type="Condition",
            date="2016-02-14",
        ),
        make_chunk(
            203,
            "Influenza vaccine, seasonal, injectable",
            resource_type="Immunization",
            date="2020-10-05",
        ),
    ]
