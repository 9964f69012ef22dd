"""GT1 when the guarantor is the patient (SEL) and OBX-11 codes without a FHIR target."""

from __future__ import annotations

from tests.interop.hl7v2.conftest import PID, Convert, msh, one

GT1 = "GT1|1|1516^^^UNITY^MR|RADIANT^LUCY||||||||{rel}|G-SSN-12|||||||55121^^^^FI"


def _values(patient: dict) -> set[str]:  # type: ignore[type-arg]
    return {i["value"] for i in patient["identifier"]}


def test_a_guarantor_who_is_the_patient_adds_identifiers(convert: Convert) -> None:
    bundle = convert(msh("ADT^A01"), PID, GT1.format(rel="SEL^Self^HL70063"))
    patient = one(bundle, "Patient")
    assert {"1516", "G-SSN-12", "55121"} <= _values(patient)
    ssn = next(i for i in patient["identifier"] if i["value"] == "G-SSN-12")
    assert ssn["system"] == "http://hl7.org/fhir/sid/us-ssn"


def test_another_guarantor_is_not_the_patient(convert: Convert) -> None:
    bundle = convert(msh("ADT^A01"), PID, GT1.format(rel="SPO^Spouse^HL70063"))
    assert not {"1516", "G-SSN-12", "55121"} & _values(one(bundle, "Patient"))


def test_obx_status_without_a_fhir_target_is_unknown(convert: Convert) -> None:
    obr = "OBR|1|PL1|FL1|24323-8^Metabolic panel^LN|||20240101080000"
    for code, status in (("O", "unknown"), ("N", "unknown"), ("F", "final"), ("", "final")):
        obx = f"OBX|1|NM|2345-7^Glucose^LN||182|mg/dL|70-105|H|||{code}"
        bundle = convert(msh("ORU^R01"), PID, obr, obx)
        assert one(bundle, "Observation")["status"] == status, code
