"""validate: R4B models, messages that locate errors without echoing patient data."""

from __future__ import annotations

from typing import Any

import pytest

from clinvault.errors import ResourceRejected
from clinvault.fhir.validate import validate

PLANTED = "Zebediah Quux-Planted"


def valid_observation() -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2021-03-04T10:00:00Z", "end": "2021-03-04T11:00:00Z"},
        "valueQuantity": {"value": 7.2, "unit": "%"},
    }


def test_valid_r4_resource_passes() -> None:
    assert validate(valid_observation(), "a.json") is None


def test_r4_data_that_r5_would_reject_passes() -> None:
    # R4 MedicationRequest.medicationCodeableConcept became medication (CodeableReference) in R5.
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "aspirin"},
        "subject": {"reference": "Patient/p1"},
    }
    assert validate(request, "m.json") is None


def test_unknown_element_is_rejected_with_its_location() -> None:
    resource = valid_observation()
    resource["effectivePeriod"]["stop"] = "2021-03-04T12:00:00Z"
    rejected = validate(resource, "b.json#entry[266]")
    assert isinstance(rejected, ResourceRejected)
    assert rejected.where == "b.json#entry[266]"
    assert rejected.resource_type == "Observation"
    assert str(rejected).startswith("b.json#entry[266]: Observation: 1 validation error")
    assert "effectivePeriod.stop: Extra inputs are not permitted" in str(rejected)
    assert "2021-03-04" not in str(rejected)


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ("birthDate", PLANTED),
        ("gender", {"text": PLANTED}),
        ("active", PLANTED),
        ("id", PLANTED),
        ("deceasedDateTime", f"{PLANTED} 2001"),
        ("multipleBirthInteger", PLANTED),
    ],
)
def test_planted_values_never_appear_in_the_message(element: str, value: object) -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "Quux"}], element: value}
    rejected = validate(patient, "p.json")
    assert isinstance(rejected, ResourceRejected)
    message = str(rejected)
    assert element in message
    for fragment in ("Zebediah", "Quux", "Planted", "input_value"):
        assert fragment not in message


def test_planted_key_is_masked_in_the_location() -> None:
    patient = {"resourceType": "Patient", "Zebediah Quux": "x"}
    rejected = validate(patient, "p.json")
    assert isinstance(rejected, ResourceRejected)
    assert "Zebediah" not in str(rejected)
    assert "<key>" in str(rejected)


def test_many_errors_are_counted_and_capped() -> None:
    patient = {"resourceType": "Patient", **{f"bogus{i}": i for i in range(9)}}
    rejected = validate(patient, "p.json")
    assert rejected is not None
    assert "9 validation errors" in str(rejected)
    assert "and 4 more" in str(rejected)


def test_missing_required_element_is_rejected() -> None:
    resource = valid_observation()
    del resource["status"]
    rejected = validate(resource, "o.json")
    assert rejected is not None
    assert "status" in str(rejected)


def test_contained_resource_of_unknown_type_is_rejected_not_raised() -> None:
    patient = {"resourceType": "Patient", "contained": [{"resourceType": "Foo", "id": "x"}]}
    rejected = validate(patient, "p.json")
    assert isinstance(rejected, ResourceRejected)
    assert str(rejected) == (
        "p.json: Patient: contained[0]: resourceType is not a FHIR R4 resource type"
    )


def test_wrong_or_unvalidatable_resource_type() -> None:
    unknown = validate({"resourceType": "Observaton"}, "x.json")
    assert unknown is not None
    assert "not a FHIR R4 resource type" in str(unknown)
    r4_only = validate({"resourceType": "MedicinalProduct", "id": "m"}, "y.json")
    assert r4_only is not None
    assert "no R4B model" in str(r4_only)
