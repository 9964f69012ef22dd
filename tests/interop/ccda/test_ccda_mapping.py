"""C-CDA -> FHIR R4 mapping, statement by statement, on a small CCD built in code."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from clinvault.errors import InputError
from clinvault.fhir.notes import note_texts
from clinvault.interop.ccda import NotClinicalDocument, convert_bytes
from clinvault.interop.ccda.datatypes import ts
from clinvault.interop.ccda.systems import system_uri
from tests.interop.ccda.ccda_samples import PATIENT, minimal_ccd


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    conversion = convert_bytes(minimal_ccd(), "ccd.xml")
    assert conversion.problems == []
    assert conversion.document_type == "Continuity of Care Document"
    return conversion.bundle


@pytest.mark.parametrize(
    ("raw", "fhir"),
    [
        ("2008", "2008"),
        ("200803", "2008-03"),
        ("20080319", "2008-03-19"),
        ("20080319083000-0800", "2008-03-19T08:30:00-08:00"),
        ("200803190830+0100", "2008-03-19T08:30:00+01:00"),
        ("2008031908-0500", "2008-03-19T08:00:00-05:00"),
        ("20080319083000.123+0000", "2008-03-19T08:30:00.123+00:00"),
        ("20080319083000", "2008-03-19"),  # a time without offset keeps its day only
        ("19620230", None),  # no such day: dropped, not a resource the validator refuses
        ("2008031925", None),
        ("not a date", None),
        ("", None),
    ],
)
def test_ts_keeps_precision_and_offset(raw: str, fhir: str | None) -> None:
    assert ts(raw) == fhir


def test_oid_table() -> None:
    assert system_uri("2.16.840.1.113883.6.96") == "http://snomed.info/sct"
    assert system_uri("2.16.840.1.113883.6.1") == "http://loinc.org"
    assert system_uri("2.16.840.1.113883.6.88") == "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert system_uri("2.16.840.1.113883.12.292") == "http://hl7.org/fhir/sid/cvx"
    assert system_uri("1.2.3.4") == "urn:oid:1.2.3.4"
    assert system_uri("AAAA0001-0000-4000-8000-000000000001").startswith("urn:uuid:aaaa0001")


def test_patient(bundle: dict[str, Any]) -> None:
    (patient,) = _by_type(bundle, "Patient")
    assert patient["name"][0] == {
        "use": "official",
        "family": PATIENT["family"],
        "given": [PATIENT["given"], "A"],
    }
    assert patient["birthDate"] == "1962-03-14"
    assert patient["gender"] == "female"
    v2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
    assert patient["identifier"] == [
        {
            "type": {"coding": [{"system": v2_0203, "code": "MR"}]},
            "system": "urn:oid:2.16.840.1.113883.19.5.99999.2",
            "value": PATIENT["mrn"],
        },
        {
            "type": {"coding": [{"system": v2_0203, "code": "SS"}]},
            "system": "http://hl7.org/fhir/sid/us-ssn",
            "value": PATIENT["ssn"],
        },
    ]
    assert patient["address"][0]["line"] == [PATIENT["street"]]
    assert patient["address"][0]["use"] == "home"
    assert {"system": "phone", "value": PATIENT["phone"], "use": "home"} in patient["telecom"]
    assert {"system": "email", "value": "marisol@example.org"} in patient["telecom"]
    race, ethnicity = patient["extension"]
    assert race["url"].endswith("us-core-race")
    assert [e["url"] for e in race["extension"]] == ["ombCategory", "detailed", "text"]
    assert ethnicity["extension"][0]["valueCoding"]["code"] == "2135-2"
    assert patient["communication"] == [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}
    ]


def test_every_resource_points_at_the_patient(bundle: dict[str, Any]) -> None:
    (patient,) = _by_type(bundle, "Patient")
    ref = {"reference": f"Patient/{patient['id']}"}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "Patient":
            assert ref in (resource.get("subject"), resource.get("patient")), resource[
                "resourceType"
            ]


def test_condition(bundle: dict[str, Any]) -> None:
    (condition,) = _by_type(bundle, "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "44054006",
        "display": "Diabetes mellitus type 2",
    }
    assert condition["code"]["coding"][1]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert (
        condition["code"]["text"] == "Type 2 diabetes mellitus"
    )  # originalText reference resolved
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["onsetDateTime"] == "2010-06-01"


def test_allergy(bundle: dict[str, Any]) -> None:
    (allergy,) = _by_type(bundle, "AllergyIntolerance")
    assert allergy["code"]["coding"][0]["code"] == "7980"
    assert allergy["code"]["coding"][0]["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert allergy["category"] == ["medication"]
    assert allergy["onsetDateTime"] == "2005"
    (reaction,) = allergy["reaction"]
    assert reaction["manifestation"][0]["coding"][0]["code"] == "247472004"
    assert reaction["severity"] == "moderate"


def test_medication(bundle: dict[str, Any]) -> None:
    (statement,) = _by_type(bundle, "MedicationStatement")
    assert statement["medicationCodeableConcept"]["coding"][0]["code"] == "861007"
    assert statement["status"] == "active"
    assert statement["effectivePeriod"] == {"start": "2010-06-15"}
    assert statement["dosage"][0]["text"] == "one tablet twice daily"
    assert statement["dosage"][0]["doseAndRate"][0]["doseQuantity"] == {"value": 1}
    assert statement["dosage"][0]["timing"] == {
        "repeat": {"frequency": 1, "period": 12, "periodUnit": "h"}
    }


def test_results_and_vitals(bundle: dict[str, Any]) -> None:
    observations = {o["code"]["coding"][0]["code"]: o for o in _by_type(bundle, "Observation")}
    a1c = observations["4548-4"]
    assert a1c["valueQuantity"] == {
        "value": 7.2,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert a1c["effectiveDateTime"] == "2024-03-01T09:30:00-05:00"
    assert a1c["category"][0]["coding"][0]["code"] == "laboratory"
    assert a1c["interpretation"][0]["coding"][0]["code"] == "H"
    assert a1c["referenceRange"][0]["low"]["value"] == 4.0
    systolic = observations["8480-6"]
    assert systolic["category"][0]["coding"][0]["code"] == "vital-signs"
    assert systolic["valueQuantity"]["value"] == 128
    (report,) = _by_type(bundle, "DiagnosticReport")
    assert report["result"] == [{"reference": f"Observation/{a1c['id']}"}]


def test_immunization_procedure_encounter(bundle: dict[str, Any]) -> None:
    (immunization,) = _by_type(bundle, "Immunization")
    assert immunization["vaccineCode"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/cvx",
        "code": "140",
        "display": "Influenza, seasonal, injectable, preservative free",
    }
    assert immunization["occurrenceDateTime"] == "2023-10"
    assert immunization["lotNumber"] == "LOT-77"
    assert immunization["status"] == "completed"
    (procedure,) = _by_type(bundle, "Procedure")
    assert procedure["code"]["coding"][0]["code"] == "73761001"
    assert procedure["performedDateTime"] == "2019-05-02"
    (encounter,) = _by_type(bundle, "Encounter")
    assert encounter["class"]["code"] == "AMB"
    assert encounter["period"] == {
        "start": "2024-03-01T09:00:00-05:00",
        "end": "2024-03-01T09:30:00-05:00",
    }


def test_every_narrative_section_is_a_note(bundle: dict[str, Any]) -> None:
    notes = _by_type(bundle, "DocumentReference")
    assert len(notes) == 9
    texts = {n["description"]: note_texts(n)[0].text for n in notes}
    assert texts["History of Present Illness"] == (
        "History of Present Illness\nMarisol reports polyuria for two weeks.\n\nNo chest pain."
    )
    assert "Metformin 500 MG | one tablet twice daily" in texts["Medications"]
    assert all(n["content"][0]["attachment"]["contentType"].startswith("text/plain") for n in notes)


def test_ids_are_stable_and_depend_on_the_document() -> None:
    first = convert_bytes(minimal_ccd(), "a.xml").bundle
    again = convert_bytes(minimal_ccd(), "b.xml").bundle
    other = convert_bytes(minimal_ccd(document_id="ccd-0002"), "c.xml").bundle
    ids = [e["resource"]["id"] for e in first["entry"]]
    assert ids == [e["resource"]["id"] for e in again["entry"]]
    assert len(set(ids)) == len(ids)
    other_ids = [e["resource"]["id"] for e in other["entry"]]
    assert other_ids[0] == ids[0]  # the same patient (same MRN) is one Patient
    assert not set(other_ids[1:]) & set(ids[1:])


def test_two_documents_claiming_one_id_do_not_share_resources() -> None:
    """9 of the 22 Microsoft samples claim ``TT988``: reusing ids would overwrite one
    document's notes with another's."""
    first = convert_bytes(minimal_ccd(), "a.xml").bundle
    revised = minimal_ccd().replace(b"No chest pain.", b"Mild chest pain.")
    second = convert_bytes(revised, "b.xml").bundle
    ids = {e["resource"]["id"] for e in first["entry"]}
    second_ids = {e["resource"]["id"] for e in second["entry"]}
    assert ids & second_ids == {first["entry"][0]["resource"]["id"]}  # the Patient only


def test_a_statement_quoted_in_two_sections_is_one_resource_but_copied_ids_are_not() -> None:
    from tests.interop.ccda.ccda_samples import SECTIONS

    vitals = SECTIONS[
        SECTIONS.index(
            '<component><section>\n  <templateId root="2.16.840.1.113883.10.20.22.2.4.1"'
        ) :
    ]
    vitals = vitals[: vitals.index("</section></component>") + len("</section></component>")]
    later = vitals.replace('value="20240301"', 'value="20240401"').replace(
        'value="128"', 'value="141"'
    )
    bundle = convert_bytes(minimal_ccd(sections=vitals + vitals + later), "v.xml").bundle
    values = sorted(o["valueQuantity"]["value"] for o in _by_type(bundle, "Observation"))
    assert values == [128, 141]


def test_unstructured_document_text_and_pdf() -> None:
    text_body = base64.b64encode(b"Discharge letter: stable.").decode()
    pdf_body = base64.b64encode(b"%PDF-1.4 fake").decode()
    for media, body, expect_text in (
        ("text/plain", text_body, True),
        ("application/pdf", pdf_body, False),
    ):
        doc = (
            minimal_ccd()
            .replace(
                b"<component><structuredBody>",
                b'<component><nonXMLBody><text mediaType="'
                + media.encode()
                + b'" representation="B64">'
                + body.encode()
                + b"</text></nonXMLBody></component><!--",
            )
            .replace(b"</structuredBody></component>", b"-->")
        )
        conversion = convert_bytes(doc, "u.xml")
        assert conversion.problems == []
        (note,) = _by_type(conversion.bundle, "DocumentReference")
        assert note["content"][0]["attachment"]["contentType"] == media
        assert bool(note_texts(note)) is expect_text


def test_not_a_clinical_document() -> None:
    with pytest.raises(NotClinicalDocument, match="FHIR XML is not read"):
        convert_bytes(b"<Bundle xmlns='http://hl7.org/fhir'/>", "f.xml")
    with pytest.raises(NotClinicalDocument):
        convert_bytes(b"<ClinicalDocument/>", "no-namespace.xml")


def test_no_record_target() -> None:
    doc = minimal_ccd()
    start, end = (
        doc.index(b"<recordTarget>"),
        doc.index(b"</recordTarget>") + len(b"</recordTarget>"),
    )
    with pytest.raises(InputError, match="no recordTarget"):
        convert_bytes(doc[:start] + doc[end:], "n.xml")


SUPPLIED_MEDICATION = """
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.1.1"/>
  <code code="10160-0" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Medications</title><text>Albuterol inhaler</text>
  <entry><substanceAdministration classCode="SBADM" moodCode="EVN">
    <templateId root="2.16.840.1.113883.10.20.22.4.16"/>
    <id root="bbbb0001-0000-4000-8000-000000000001"/>
    <statusCode code="active"/>
    <consumable><manufacturedProduct><manufacturedMaterial>
      <code code="573621" codeSystem="2.16.840.1.113883.6.88"/>
    </manufacturedMaterial></manufacturedProduct></consumable>
    <entryRelationship typeCode="REFR"><supply classCode="SPLY" moodCode="INT">
      <templateId root="2.16.840.1.113883.10.20.22.4.17"/>
      <id nullFlavor="NI"/>
      <statusCode code="completed"/>
      <effectiveTime xsi:type="IVL_TS"><low value="20070103"/><high nullFlavor="UNK"/></effectiveTime>
      <repeatNumber value="1"/><quantity value="75"/>
      <author><time value="201208151235-0800"/></author>
    </supply></entryRelationship>
    <entryRelationship typeCode="REFR"><supply classCode="SPLY" moodCode="EVN">
      <templateId root="2.16.840.1.113883.10.20.22.4.18"/>
      <id root="bbbb0001-0000-4000-8000-000000000002"/>
      <statusCode code="completed"/>
      <effectiveTime value="201208151450-0800"/><quantity value="75"/>
    </supply></entryRelationship>
  </substanceAdministration></entry>
</section></component>
"""


def test_supply_order_and_dispense() -> None:
    conversion = convert_bytes(minimal_ccd(sections=SUPPLIED_MEDICATION), "m.xml")
    assert conversion.problems == []
    (statement,) = _by_type(conversion.bundle, "MedicationStatement")
    (order,) = _by_type(conversion.bundle, "MedicationRequest")
    (dispense,) = _by_type(conversion.bundle, "MedicationDispense")
    assert statement["basedOn"] == [{"reference": f"MedicationRequest/{order['id']}"}]
    assert (order["intent"], order["status"], order["authoredOn"]) == (
        "order",
        "completed",
        "2012-08-15T12:35:00-08:00",
    )
    assert order["medicationCodeableConcept"]["coding"][0]["code"] == "573621"
    assert order["dispenseRequest"] == {
        "quantity": {"value": 75},
        "numberOfRepeatsAllowed": 1,
        "validityPeriod": {"start": "2007-01-03"},
    }
    assert dispense["whenHandedOver"] == "2012-08-15T14:50:00-08:00"
    assert dispense["status"] == "completed"


PLAN = """
<component><section>
  <templateId root="2.16.840.1.113883.10.20.22.2.10"/>
  <code code="18776-5" codeSystem="2.16.840.1.113883.6.1"/>
  <title>Plan of Treatment</title><text>Colonoscopy next spring; <content ID="ref1">see cardiology</content></text>
  <entry><procedure classCode="PROC" moodCode="RQO">
    <templateId root="2.16.840.1.113883.10.20.22.4.41"/>
    <id root="cccc0001-0000-4000-8000-000000000001"/>
    <code code="73761001" codeSystem="2.16.840.1.113883.6.96" displayName="Colonoscopy"/>
    <statusCode code="active"/>
    <effectiveTime value="20250401"/>
    <priorityCode code="R" codeSystem="2.16.840.1.113883.5.7"/>
  </procedure></entry>
  <entry><act classCode="PCPR" moodCode="INT">
    <templateId root="2.16.840.1.113883.10.20.22.4.140"/>
    <id root="cccc0001-0000-4000-8000-000000000002"/>
    <code code="44383000" codeSystem="2.16.840.1.113883.6.96"/>
    <text><reference value="#ref1"/></text>
    <statusCode code="active"/>
  </act></entry>
  <entry><substanceAdministration classCode="SBADM" moodCode="INT">
    <templateId root="2.16.840.1.113883.10.20.22.4.42"/>
    <id root="cccc0001-0000-4000-8000-000000000003"/>
    <statusCode code="active"/>
    <consumable><manufacturedProduct><manufacturedMaterial>
      <code code="197361" codeSystem="2.16.840.1.113883.6.88"/>
    </manufacturedMaterial></manufacturedProduct></consumable>
  </substanceAdministration></entry>
</section></component>
"""


def test_plan_of_treatment_requests() -> None:
    conversion = convert_bytes(minimal_ccd(sections=PLAN), "p.xml")
    assert conversion.problems == []
    colonoscopy, referral = _by_type(conversion.bundle, "ServiceRequest")
    assert (colonoscopy["intent"], colonoscopy["status"], colonoscopy["priority"]) == (
        "order",
        "active",
        "routine",
    )
    assert colonoscopy["occurrenceDateTime"] == "2025-04-01"
    assert referral["intent"] == "plan"
    assert referral["note"] == [{"text": "see cardiology"}]
    (planned,) = _by_type(conversion.bundle, "MedicationRequest")
    assert (planned["intent"], planned["medicationCodeableConcept"]["coding"][0]["code"]) == (
        "plan",
        "197361",
    )
