"""ORU (OBR/OBX/NTE, TX notes, corrections), MDM (TXA), VXU (RXA/RXR), RDE/RAS, SIU."""

from __future__ import annotations

import base64
from typing import Any

from tests.interop.hl7v2.conftest import PID, Convert, msh, one, resources

OBR = "OBR|1|PL1^LIS|FL1^LAB|24323-8^Metabolic panel^LN|||20240101080000|||||||||||||||20240101100000|||F"


def _note(document: dict[str, Any]) -> str:
    return base64.b64decode(document["content"][0]["attachment"]["data"]).decode("utf-8")


def test_obx_value_types(convert: Convert) -> None:
    bundle = convert(
        msh("ORU^R01"), PID, OBR,
        "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL^mg/dL^UCUM|70-105|H|||F",
        "OBX|2|SN|2160-0^Creatinine^LN||<^0.5|mg/dL|0.6-1.2|L|||C",
        "OBX|3|SN|5803-2^pH^LN||^1^:^128||||||P",
        "OBX|4|ST|5778-6^Color^LN||Yellow||||||F",
        "OBX|5|CWE|600-7^Culture^LN||3092008^Staph aureus^SCT||||||F",
        "OBX|6|DT|8665-2^LMP^LN||20231215||||||F",
        "OBX|7|SN|2093-3^Range^LN||^10^-^20|mg/dL|||||F",
    )  # fmt: skip
    glucose, creatinine, ratio, color, culture, lmp, ranged = resources(bundle, "Observation")
    assert glucose["valueQuantity"] == {
        "value": 182,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    }
    assert glucose["referenceRange"] == [
        {"low": {"value": 70}, "high": {"value": 105}, "text": "70-105"}
    ]
    assert glucose["interpretation"][0]["coding"][0]["code"] == "H"
    assert (glucose["status"], glucose["category"][0]["coding"][0]["code"]) == (
        "final",
        "laboratory",
    )
    assert glucose["effectiveDateTime"] == "2024-01-01T08:00:00+00:00"
    assert creatinine["valueQuantity"]["comparator"] == "<"
    assert creatinine["valueQuantity"]["value"] == 0.5
    assert creatinine["status"] == "corrected"
    assert ratio["valueRatio"] == {"numerator": {"value": 1}, "denominator": {"value": 128}}
    assert ratio["status"] == "preliminary"
    assert color["valueString"] == "Yellow"
    assert culture["valueCodeableConcept"]["coding"][0]["code"] == "3092008"
    assert lmp["valueDateTime"] == "2023-12-15"
    assert ranged["valueRange"]["low"]["value"] == 10
    report = one(bundle, "DiagnosticReport")
    assert report["status"] == "final"
    assert [r["reference"] for r in report["result"]] == [
        f"Observation/{o['id']}" for o in resources(bundle, "Observation")
    ]
    assert {"value": "FL1"} | {"type": report["identifier"][1]["type"]} == report["identifier"][1]


def test_a_corrected_result_replaces_the_earlier_one(convert: Convert) -> None:
    first = convert(msh("ORU^R01", "C1"), PID, OBR, "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL|||||F")
    fixed = convert(msh("ORU^R01", "C2"), PID, OBR, "OBX|1|NM|2345-7^Glucose^LN||128|mg/dL|||||C")
    before, after = one(first, "Observation"), one(fixed, "Observation")
    assert before["id"] == after["id"]
    assert (after["valueQuantity"]["value"], after["status"]) == (128, "corrected")
    other_order = convert(
        msh("ORU^R01", "C3"),
        PID,
        OBR.replace("FL1", "FL2"),
        "OBX|1|NM|2345-7^Glucose^LN||99|mg/dL|||||F",
    )
    assert one(other_order, "Observation")["id"] != before["id"]


def test_tx_lines_are_joined_into_one_note(convert: Convert) -> None:
    bundle = convert(
        msh("ORU^R01"), PID, OBR,
        "OBX|1|TX|18842-5^Discharge summary^LN||Patient admitted with chest pain.||||||F",
        "OBX|2|TX|18842-5^Discharge summary^LN||Troponin negative \\T\\ ECG normal.||||||F",
        "OBX|3|TX|18842-5^Discharge summary^LN||~Discharged home.||||||F",
        "NTE|1||a comment",
    )  # fmt: skip
    assert resources(bundle, "Observation") == []
    note = one(bundle, "DocumentReference")
    assert (
        _note(note)
        == "Patient admitted with chest pain.\nTroponin negative & ECG normal.\nDischarged home."
    )
    assert note["docStatus"] == "final"
    assert note["type"]["coding"][0]["code"] == "18842-5"
    assert one(bundle, "DiagnosticReport")["conclusion"] == "a comment"


def test_nte_after_obx_is_an_observation_note(convert: Convert) -> None:
    bundle = convert(
        msh("ORU^R01"), PID, OBR, "OBX|1|NM|2345-7^Glucose^LN||90|mg/dL|||||F", "NTE|1||fasting"
    )
    assert one(bundle, "Observation")["note"] == [{"text": "fasting"}]


def test_mdm_document(convert: Convert) -> None:
    txa = (
        "TXA|1|CN^Consultation note|TX|20240102090000|1234^WELBY^MARCUS|||||||DOC77^EMR||||||AU||AV"
    )
    bundle = convert(
        msh("MDM^T02"), "EVN|T02", PID, "PV1|1|O|CLINIC||||||||||||||||V9", txa,
        "OBX|1|TX|||Seen for cough.||||||F", "OBX|2|TX|||Plan: rest.||||||F",
    )  # fmt: skip
    document = one(bundle, "DocumentReference")
    assert _note(document) == "Seen for cough.\nPlan: rest."
    assert (document["status"], document["docStatus"]) == ("current", "final")
    assert document["type"]["coding"][0]["code"] == "CN"
    assert document["date"] == "2024-01-02T09:00:00+00:00"
    assert document["author"][0]["reference"].startswith("Practitioner/")
    edited = convert(msh("MDM^T08", "C9"), PID, txa, "OBX|1|TX|||Seen for cough; better.||||||F")
    assert one(edited, "DocumentReference")["id"] == document["id"]


def test_vxu_immunization(convert: Convert) -> None:
    bundle = convert(
        msh("VXU^V04"), PID,
        "ORC|RE||IZ-783274^NDA",
        "RXA|0|1|20230915||08^HepB pediatric^CVX|0.5|mL^mL^UCUM||00^New immunization record^NIP001|"
        "1234^NURSE^NANCY|||||LOT123|20241231|MSD^Merck^MVX|||CP|A",
        "RXR|C28161^Intramuscular^NCIT|LA^Left arm^HL70163",
        "OBX|1|CE|64994-7^Eligibility^LN|1|V02^VFC eligible^HL70064||||||F",
        "OBX|2|TS|29769-7^VIS presented^LN|2|20230915||||||F",
    )  # fmt: skip
    shot = one(bundle, "Immunization")
    assert shot["vaccineCode"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/cvx",
        "code": "08",
        "display": "HepB pediatric",
    }
    assert (shot["status"], shot["occurrenceDateTime"], shot["primarySource"]) == (
        "completed",
        "2023-09-15",
        True,
    )
    assert (shot["lotNumber"], shot["expirationDate"]) == ("LOT123", "2024-12-31")
    assert shot["doseQuantity"]["value"] == 0.5
    assert shot["route"]["coding"][0]["code"] == "C28161"
    assert shot["site"]["coding"][0]["code"] == "LA"
    assert shot["manufacturer"] == {"display": "Merck"}
    assert shot["programEligibility"][0]["coding"][0]["code"] == "V02"
    assert one(bundle, "Observation")["valueDateTime"] == "2023-09-15"


def test_refused_vaccine_is_not_done(convert: Convert) -> None:
    rxa = "RXA|0|1|20230915||08^HepB^CVX|999||||||||||||00^Parental decision^NIP002||RE"
    shot = one(convert(msh("VXU^V04"), PID, rxa), "Immunization")
    assert shot["status"] == "not-done"
    assert shot["statusReason"]["coding"][0]["code"] == "00"
    assert "doseQuantity" not in shot


def test_rde_medication_request(convert: Convert) -> None:
    bundle = convert(
        msh("RDE^O11"), PID,
        "ORC|NW|ORD1^EMR|||||||20240101090000|||1234^WELBY^MARCUS",
        "RXE|^BID|197361^Amlodipine 5 MG^RXNORM|5||mg^mg^UCUM|||||30|TAB|3",
        "RXR|PO^Oral^HL70162",
    )  # fmt: skip
    request = one(bundle, "MedicationRequest")
    assert (request["status"], request["intent"]) == ("active", "order")
    assert request["medicationCodeableConcept"]["coding"][0]["code"] == "197361"
    assert request["authoredOn"] == "2024-01-01T09:00:00+00:00"
    assert request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 5
    assert request["dosageInstruction"][0]["route"]["coding"][0]["code"] == "PO"
    assert request["dispenseRequest"]["numberOfRepeatsAllowed"] == 3
    assert request["requester"]["reference"].startswith("Practitioner/")
    cancelled = convert(
        msh("RDE^O11", "C2"), PID, "ORC|CA|ORD1^EMR", "RXE|^BID|197361^Amlodipine 5 MG^RXNORM|5||mg"
    )
    assert one(cancelled, "MedicationRequest")["id"] == request["id"]
    assert one(cancelled, "MedicationRequest")["status"] == "cancelled"


def test_ras_medication_administration(convert: Convert) -> None:
    bundle = convert(
        msh("RAS^O17"), PID, "ORC|RE|ORD1^EMR",
        "RXA|0|1|20240101100000||197361^Amlodipine 5 MG^RXNORM|5|mg||||||||||||CP",
    )  # fmt: skip
    given = one(bundle, "MedicationAdministration")
    assert (given["status"], given["effectiveDateTime"]) == (
        "completed",
        "2024-01-01T10:00:00+00:00",
    )
    assert given["dosage"]["dose"]["value"] == 5


def test_siu_appointment(convert: Convert) -> None:
    bundle = convert(
        msh("SIU^S12"),
        "SCH|APT1^EMR|APT1F^SCHED|||||ROUTINE^Routine visit^HL70276|CHECKUP^Checkup|30|MIN|^^30^20240201093000^20240201100000||||||||||||||Pending",
        PID,
        "AIS|1||99213^Office visit^CPT|20240201093000|||30|MIN",
        "AIP|1||1234^WELBY^MARCUS",
        "AIL|1||CLINIC^ROOM 2",
    )  # fmt: skip
    appointment = one(bundle, "Appointment")
    assert appointment["status"] == "pending"
    assert (appointment["start"], appointment["end"]) == (
        "2024-02-01T09:30:00+00:00",
        "2024-02-01T10:00:00+00:00",
    )
    assert appointment["minutesDuration"] == 30
    actors = [p["actor"] for p in appointment["participant"]]
    assert actors[0] == {"reference": f"Patient/{one(bundle, 'Patient')['id']}"}
    assert actors[1]["reference"].startswith("Practitioner/")
    assert actors[2] == {"display": "CLINIC, ROOM 2"}
    assert appointment["serviceType"][0]["coding"][0]["code"] == "99213"
