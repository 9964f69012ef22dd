"""Reference normalization: the same patient or practitioner matches however it is written."""

from __future__ import annotations

import pytest

from clinvault.access.refs import patient_reference, practitioner_reference
from clinvault.errors import InputError


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("abc-123", "Patient/abc-123"),
        ("Patient/abc-123", "Patient/abc-123"),
        ("  Patient/abc-123 ", "Patient/abc-123"),
        ("https://ehr.example/fhir/Patient/abc-123", "Patient/abc-123"),
        ("https://ehr.example/fhir/Patient/abc-123/_history/4", "Patient/abc-123"),
        (
            "urn:uuid:2b3c4d5e-0000-4000-8000-000000000001",
            "urn:uuid:2b3c4d5e-0000-4000-8000-000000000001",
        ),
    ],
)
def test_patient_references_normalize(given: str, expected: str) -> None:
    assert patient_reference(given) == expected


def test_conditional_practitioner_reference_is_kept() -> None:
    ref = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999941699"
    assert practitioner_reference(ref) == ref


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "Practitioner/abc",
        "Patient/has space",
        "Patient?",
        "Observation?code=x",
        "https://ehr.example/fhir/Observation/1",
    ],
)
def test_malformed_patient_references_are_refused_without_echo(given: str) -> None:
    with pytest.raises(InputError) as caught:
        patient_reference(given)
    if given.strip():
        assert given.strip() not in str(caught.value)
