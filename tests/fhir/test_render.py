"""render: one clinical sentence per resource, codes and dates, never names, ids or contacts."""

from __future__ import annotations

from typing import Any

import pytest

from clinvault.fhir.render import RENDERERS, render

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def test_observation_quantity_matches_the_documented_example() -> None:
    out = render({
        "resourceType": "Observation", "id": "secret-id-1", "status": "final",
        "code": concept(LOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
        "subject": {"reference": "Patient/secret-id-2", "display": "Jane Planted"},
        "effectiveDateTime": "2021-03-04", "valueQuantity": {"value": 7.2, "unit": "%"},
    })  # fmt: skip
    assert out.text == (
        "Observation: Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4) = 7.2 % "
        "on 2021-03-04; status final."
    )
    assert out.date == "2021-03-04"
    assert out.codes == ("http://loinc.org|4548-4",)
    assert out.display == "Hemoglobin A1c/Hemoglobin.total in Blood"


def test_observation_components_interpretation_range_and_absent_value() -> None:
    bp = render({
        "resourceType": "Observation", "status": "final",
        "code": concept(LOINC, "85354-9", "Blood pressure panel"),
        "effectiveDateTime": "2020-01-02T08:30:00-05:00",
        "component": [
            {"code": concept(LOINC, "8480-6", "Systolic blood pressure"),
             "valueQuantity": {"value": 142.0, "unit": "mm[Hg]"}},
            {"code": concept(LOINC, "8462-4", "Diastolic blood pressure"),
             "valueQuantity": {"value": 91, "unit": "mm[Hg]"}},
        ],
        "interpretation": [{"text": "High"}],
        "referenceRange": [{"low": {"value": 90, "unit": "mm[Hg]"}, "high": {"value": 120, "unit": "mm[Hg]"}}],
    })  # fmt: skip
    assert "Systolic blood pressure = 142 mm[Hg], Diastolic blood pressure = 91 mm[Hg]" in bp.text
    assert "on 2020-01-02 08:30" in bp.text
    assert "interpretation High" in bp.text
    assert "reference range 90 mm[Hg] to 120 mm[Hg]" in bp.text
    assert bp.date == "2020-01-02T08:30:00-05:00"
    assert set(bp.codes) == {f"{LOINC}|85354-9", f"{LOINC}|8480-6", f"{LOINC}|8462-4"}
    absent = render({
        "resourceType": "Observation", "status": "final", "code": {"text": "Glucose"},
        "dataAbsentReason": {"text": "Not performed"},
    })  # fmt: skip
    assert "value absent: Not performed" in absent.text
    coded = render({"resourceType": "Observation", "status": "final", "code": {"text": "Smoking"},
                    "valueCodeableConcept": concept(SNOMED, "8517006", "Ex-smoker")})  # fmt: skip
    assert "Smoking = Ex-smoker (SNOMED 8517006)" in coded.text


def test_patient_renders_demographics_only() -> None:
    out = render({
        "resourceType": "Patient", "id": "mrn-4711",
        "identifier": [{"system": "urn:ssn", "value": "999-12-3456"}],
        "name": [{"family": "Planted", "given": ["Jane"]}],
        "telecom": [{"system": "phone", "value": "555-0100"}],
        "address": [{"line": ["1 Main St"], "city": "Springfield"}],
        "gender": "female", "birthDate": "1970-01-02", "deceasedDateTime": "2020-05-06T10:00:00Z",
        "communication": [{"language": {"text": "English"}}],
        "generalPractitioner": [{"reference": "Practitioner/dr-77", "display": "Dr Who"}],
    })  # fmt: skip
    assert (
        out.text == "Patient: female, born 1970-01-02; deceased 2020-05-06 10:00; language English."
    )
    for secret in ("4711", "999", "Planted", "Jane", "555", "Main", "Springfield", "dr-77", "Who"):
        assert secret not in out.text


def test_condition() -> None:
    out = render({
        "resourceType": "Condition", "code": concept(SNOMED, "44054006", "Diabetes mellitus type 2"),
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "onsetDateTime": "2015-06-01", "abatementDateTime": "2019-01-01", "recordedDate": "2015-06-03",
    })  # fmt: skip
    assert out.text == (
        "Condition: Diabetes mellitus type 2 (SNOMED 44054006); clinical status active; "
        "verification confirmed; onset 2015-06-01; abated 2019-01-01; recorded 2015-06-03."
    )
    assert out.date == "2015-06-01"


def test_medication_request_with_structured_dosage_and_contained_medication() -> None:
    out = render({
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "medicationCodeableConcept": concept(RXNORM, "314076", "lisinopril 10 MG Oral Tablet"),
        "authoredOn": "2020-02-03T04:05:06Z",
        "dosageInstruction": [{"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                               "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
        "requester": {"reference": "Practitioner/dr", "display": "Dr Planted"},
    })  # fmt: skip
    assert out.text == (
        "MedicationRequest: lisinopril 10 MG Oral Tablet (RxNorm 314076); status active; intent order; "
        "authored 2020-02-03 04:05; dosage 1 tablet, once every day."
    )
    assert out.codes == (f"{RXNORM}|314076",)
    contained = render({
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "contained": [{"resourceType": "Medication", "id": "m1", "code": concept(RXNORM, "1", "Drug A")}],
        "medicationReference": {"reference": "#m1"},
        "dosageInstruction": [{"text": "one daily"}],
    })  # fmt: skip
    assert contained.text.startswith("MedicationRequest: Drug A (RxNorm 1)")
    assert "dosage one daily" in contained.text
    assert contained.codes == (f"{RXNORM}|1",)


def test_allergy_immunization_procedure_encounter() -> None:
    allergy = render({
        "resourceType": "AllergyIntolerance", "code": concept(SNOMED, "91935009", "Peanut"),
        "criticality": "high", "clinicalStatus": {"coding": [{"code": "active"}]},
        "reaction": [{"manifestation": [{"text": "Anaphylaxis"}], "severity": "severe"}],
    })  # fmt: skip
    assert "criticality high" in allergy.text
    assert "reaction Anaphylaxis (severe)" in allergy.text
    vaccine = render({"resourceType": "Immunization", "status": "completed",
                      "vaccineCode": concept("http://hl7.org/fhir/sid/cvx", "140", "Influenza"),
                      "occurrenceDateTime": "2016-05-25"})  # fmt: skip
    assert vaccine.text == "Immunization: Influenza (CVX 140) on 2016-05-25; status completed."
    procedure = render(
        {
            "resourceType": "Procedure",
            "status": "completed",
            "code": concept(SNOMED, "73761001", "Colonoscopy"),
            "performedPeriod": {"start": "2019-01-01T10:00:00Z", "end": "2019-01-01T11:00:00Z"},
        }
    )
    assert procedure.text == (
        "Procedure: Colonoscopy (SNOMED 73761001) performed 2019-01-01 10:00 to 2019-01-01 11:00; "
        "status completed."
    )
    assert procedure.date == "2019-01-01T10:00:00Z"
    encounter = render(
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"code": "AMB"},
            "type": [concept(SNOMED, "185349003", "Check up")],
            "period": {"start": "2019-02-02"},
            "reasonCode": [{"text": "Cough"}],
        }
    )
    assert encounter.text == (
        "Encounter: Check up (SNOMED 185349003) (AMB); period from 2019-02-02; reason Cough; status finished."
    )


def test_reports_documents_and_care() -> None:
    report = render(
        {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "code": {"text": "CBC"},
            "effectiveDateTime": "2019-01-01",
            "conclusion": "Normal.",
            "result": [{"reference": "Observation/1"}, {"reference": "Observation/2"}],
        }
    )
    assert (
        report.text
        == "DiagnosticReport: CBC on 2019-01-01; 2 results; conclusion: Normal.; status final."
    )
    document = render(
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": concept(LOINC, "34117-2", "History and physical note"),
            "date": "2019-03-03T00:00:00Z",
            "content": [{"attachment": {"contentType": "text/plain", "data": "SGk="}}],
        }
    )
    assert document.text == (
        "DocumentReference: History and physical note (LOINC 34117-2); dated 2019-03-03 00:00; "
        "content text/plain; status current."
    )
    goal = render({"resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": "HbA1c < 7"},
                   "target": [{"measure": {"text": "HbA1c"}, "detailQuantity": {"value": 7, "unit": "%"},
                               "dueDate": "2021-01-01"}]})  # fmt: skip
    assert goal.text == "Goal: HbA1c < 7; status active; target HbA1c = 7 % by 2021-01-01."
    care_team = render(
        {
            "resourceType": "CareTeam",
            "status": "active",
            "participant": [
                {
                    "role": [{"text": "Nurse"}],
                    "member": {"reference": "Practitioner/x1", "display": "Nurse Planted"},
                }
            ],
        }
    )
    assert (
        care_team.text == "CareTeam: care team; roles Nurse; members 1 Practitioner; status active."
    )
    device = render(
        {
            "resourceType": "Device",
            "status": "active",
            "type": concept(SNOMED, "1", "Pump"),
            "udiCarrier": [{"deviceIdentifier": "UDI-SECRET"}],
        }
    )
    assert device.text == "Device: Pump (SNOMED 1); status active."
    assert "SECRET" not in device.text
    plan = render(
        {
            "resourceType": "CarePlan",
            "status": "active",
            "intent": "plan",
            "category": [concept(SNOMED, "698360004", "Diabetes self management plan")],
            "activity": [{"detail": {"code": concept(SNOMED, "160670007", "Diabetic diet")}}],
        }
    )
    assert plan.text.startswith(
        "CarePlan: Diabetes self management plan (SNOMED 698360004); activities "
        "Diabetic diet (SNOMED 160670007)"
    )
    assert f"{SNOMED}|160670007" in plan.codes


def test_generic_fallback_for_other_types() -> None:
    out = render({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                  "code": concept(LOINC, "58410-2", "CBC panel"), "authoredOn": "2020-01-01",
                  "requester": {"reference": "Practitioner/secret"}})  # fmt: skip
    assert out.text == "ServiceRequest: CBC panel (LOINC 58410-2); date 2020-01-01; status active."
    assert out.codes == (f"{LOINC}|58410-2",)
    bare = render({"resourceType": "Practitioner", "name": [{"family": "Planted"}]})
    assert bare.text == "Practitioner: no clinical content."


@pytest.mark.parametrize("resource_type", sorted(RENDERERS))
def test_every_renderer_survives_an_empty_resource(resource_type: str) -> None:
    out = render({"resourceType": resource_type})
    assert out.text.startswith(f"{resource_type}: ")
    assert out.text.endswith(".")
