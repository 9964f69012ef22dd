"""ADT segments: PID, NK1, PV1/PV2, AL1/IAM, DG1/PRB, IN1, MRG; events A01-A40."""

from __future__ import annotations

from clinvault.interop.hl7v2 import Converter, Options
from tests.interop.hl7v2.conftest import PID, Convert, msh, one, resources


def test_pid_patient(convert: Convert) -> None:
    patient = one(convert(msh("ADT^A01"), PID), "Patient")
    mrn, ssa, ssn = patient["identifier"]
    assert (mrn["value"], mrn["type"]["coding"][0]["code"], mrn["system"]) == (
        "12345",
        "MR",
        "urn:clinvault:hl7v2:HOSP",
    )
    assert ssa["value"] == "999887777"
    assert (ssn["value"], ssn["system"]) == ("123-45-6789", "http://hl7.org/fhir/sid/us-ssn")
    official, maiden, alias = patient["name"]
    assert official == {
        "use": "official",
        "family": "DOE",
        "given": ["JANE", "Q"],
        "prefix": ["DR"],
        "suffix": ["JR"],
    }
    assert (maiden["use"], maiden["family"]) == ("maiden", "SMITH")
    assert (alias["use"], alias["family"]) == ("usual", "JD")
    assert patient["birthDate"] == "1980-01-02"
    assert patient["gender"] == "female"
    address = patient["address"][0]
    assert address == {
        "use": "home", "line": ["12 MAIN ST", "APT 4"], "city": "SPRINGFIELD", "state": "IL",
        "postalCode": "62701", "country": "USA",
    }  # fmt: skip
    phones = patient["telecom"]
    assert {"system": "phone", "value": "1 217 5551234", "use": "home"} in phones
    assert {"system": "email", "value": "jane@example.org", "use": "home"} in phones
    assert {"system": "phone", "value": "(217)555-9999", "use": "work"} in phones
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "spa"
    assert patient["maritalStatus"]["coding"][0]["code"] == "M"
    race, ethnicity = patient["extension"]
    assert race["url"].endswith("us-core-race")
    assert race["extension"][0]["valueCoding"]["code"] == "2106-3"
    assert ethnicity["extension"][0]["valueCoding"]["code"] == "N"
    assert patient["deceasedDateTime"] == "2024-01-05T08:30:00+00:00"


def test_timestamps_without_offset_use_the_configured_zone(convert: Convert) -> None:
    from zoneinfo import ZoneInfo

    options = Options(zone=ZoneInfo("America/Chicago"))
    patient = one(convert(msh("ADT^A01"), PID, options=options), "Patient")
    assert patient["deceasedDateTime"] == "2024-01-05T08:30:00-06:00"
    with_offset = PID.replace("20240105083000", "20240105083000+0200")
    patient = one(convert(msh("ADT^A01"), with_offset, options=options), "Patient")
    assert patient["deceasedDateTime"] == "2024-01-05T08:30:00+02:00"


def test_patient_id_comes_from_the_mrn_so_messages_agree(convert: Convert) -> None:
    first = one(convert(msh("ADT^A01", "C1"), PID), "Patient")
    other = one(convert(msh("ADT^A08", "C2"), PID.replace("DOE^JANE", "DOE^JANET")), "Patient")
    assert first["id"] == other["id"]
    different = one(convert(msh("ADT^A01"), PID.replace("12345^", "54321^")), "Patient")
    assert different["id"] != first["id"]


def test_configured_authority_system_and_mrn_authority(convert: Convert) -> None:
    options = Options(
        authority_systems={"HOSP": "http://hospital.example/mrn"}, mrn_authority="SSA"
    )
    patient = one(convert(msh("ADT^A01"), PID, options=options), "Patient")
    assert patient["identifier"][0]["system"] == "http://hospital.example/mrn"
    default = one(convert(msh("ADT^A01"), PID), "Patient")
    assert patient["id"] != default["id"]  # the SSA identifier names the patient now


def test_nk1_related_person(convert: Convert) -> None:
    nk1 = "NK1|1|DOE^JOHN|SPO^Spouse^HL70063|12 MAIN ST^^SPRINGFIELD^IL^62701|(217)555-1111||||||||||M|19790303"
    bundle = convert(msh("ADT^A01"), PID, nk1)
    person = one(bundle, "RelatedPerson")
    assert person["patient"]["reference"] == f"Patient/{one(bundle, 'Patient')['id']}"
    assert person["name"][0] == {"family": "DOE", "given": ["JOHN"]}
    assert person["relationship"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v2-0063", "code": "SPO", "display": "Spouse",
    }  # fmt: skip
    assert person["telecom"][0]["value"] == "(217)555-1111"
    assert (person["gender"], person["birthDate"]) == ("male", "1979-03-03")


PV1 = (
    "PV1|1|I|W1^101^A^GEN||||1234^WELBY^MARCUS^^^DR|||MED||||7|||||V100^^^GEN^VN|||||||||||||||||"
    "01||||||||20240101100000|20240103120000"
)


def test_pv1_encounter_by_event(convert: Convert) -> None:
    bundle = convert(msh("ADT^A01"), PID, PV1, "PV2|||R10^Abdominal pain^I10")
    encounter = one(bundle, "Encounter")
    assert encounter["status"] == "in-progress"
    assert encounter["class"]["code"] == "IMP"
    assert encounter["period"] == {
        "start": "2024-01-01T10:00:00+00:00",
        "end": "2024-01-03T12:00:00+00:00",
    }
    assert encounter["identifier"][0]["value"] == "V100"
    assert encounter["location"][0]["location"]["display"] == "W1, 101, A, GEN"
    assert encounter["participant"][0]["type"][0]["coding"][0]["code"] == "ATND"
    doctor = one(bundle, "Practitioner")
    assert encounter["participant"][0]["individual"]["reference"] == f"Practitioner/{doctor['id']}"
    assert doctor["name"][0] == {"family": "WELBY", "given": ["MARCUS"], "prefix": ["DR"]}
    assert encounter["reasonCode"][0]["coding"][0]["code"] == "R10"
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "01"
    assert one(convert(msh("ADT^A03"), PID, PV1), "Encounter")["status"] == "finished"
    assert one(convert(msh("ADT^A05"), PID, PV1), "Encounter")["status"] == "planned"


def test_a08_update_replaces_and_a11_a13_cancel_the_same_encounter(convert: Convert) -> None:
    admitted = one(convert(msh("ADT^A01", "C1"), PID, PV1), "Encounter")
    updated = one(convert(msh("ADT^A08", "C2"), PID, PV1.replace("|MED|", "|SUR|")), "Encounter")
    cancelled = one(convert(msh("ADT^A11", "C3"), PID, PV1), "Encounter")
    undone = one(convert(msh("ADT^A13", "C4"), PID, PV1), "Encounter")
    assert admitted["id"] == updated["id"] == cancelled["id"] == undone["id"]
    assert updated["serviceType"]["coding"][0]["code"] == "SUR"
    assert updated["status"] == "finished"  # A08 keeps what PV1 says: a discharge time is set
    assert cancelled["status"] == "cancelled"
    assert undone["status"] == "in-progress"
    assert "end" not in undone["period"]


def test_al1_and_iam_allergies(convert: Convert) -> None:
    bundle = convert(
        msh("ADT^A01"), PID,
        "AL1|1|DA|70618^Penicillin^RXNORM|SV|Hives~Wheezing|20200101",
        "IAM|2|FA|227493005^Cashew nuts^SCT|MO|Swelling|D",
    )  # fmt: skip
    drug, nut = resources(bundle, "AllergyIntolerance")
    assert drug["code"]["coding"][0] == {
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "70618", "display": "Penicillin",
    }  # fmt: skip
    assert (drug["category"], drug["type"], drug["criticality"]) == (
        ["medication"],
        "allergy",
        "high",
    )
    assert [m["text"] for m in drug["reaction"][0]["manifestation"]] == ["Hives", "Wheezing"]
    assert drug["onsetDateTime"] == "2020-01-01"
    assert nut["category"] == ["food"]
    assert nut["verificationStatus"]["coding"][0]["code"] == "entered-in-error"  # IAM-6 D: deleted


def test_dg1_and_prb_conditions(convert: Convert) -> None:
    bundle = convert(
        msh("ADT^A01"), PID, PV1,
        "DG1|1|I10|E11.9^Type 2 diabetes^I10||20230101|F",
        "PRB|AD|20230201|38341003^Hypertension^SCT|P1|||20230115",
    )  # fmt: skip
    diagnosis, problem = resources(bundle, "Condition")
    assert diagnosis["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"
    assert diagnosis["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
    assert diagnosis["encounter"]["reference"] == f"Encounter/{one(bundle, 'Encounter')['id']}"
    assert diagnosis["onsetDateTime"] == "2023-01-01"
    assert problem["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert problem["code"]["coding"][0]["code"] == "38341003"
    assert problem["recordedDate"] == "2023-01-15"


def test_in1_coverage(convert: Convert) -> None:
    in1 = (
        "IN1|1|PPO1^Gold PPO|IC1|ACME Health|||||GRP9|||20230101|20231231||PPO|DOE^JANE|SEL^Self^HL70063"
        + "|" * 19
        + "POL123"
    )
    coverage = one(convert(msh("ADT^A01"), PID, in1), "Coverage")
    assert coverage["payor"] == [{"display": "ACME Health"}]
    assert coverage["identifier"] == [{"value": "POL123"}]
    assert coverage["period"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert coverage["relationship"]["coding"][0]["code"] == "SEL"
    assert coverage["class"][0]["value"] == "PPO1"


def test_a40_merge_links_both_patients(convert: Convert) -> None:
    bundle = convert(msh("ADT^A40"), PID, "MRG|777^^^HOSP^MR")
    surviving, merged = resources(bundle, "Patient")
    assert surviving["link"] == [
        {"other": {"reference": f"Patient/{merged['id']}"}, "type": "replaces"}
    ]
    assert merged["link"] == [
        {"other": {"reference": f"Patient/{surviving['id']}"}, "type": "replaced-by"}
    ]
    assert merged["active"] is False
    earlier = one(convert(msh("ADT^A04"), PID.replace("12345^", "777^")), "Patient")
    assert earlier["id"] == merged["id"]  # the merged id is the one the old MRN produced


def test_replay_is_identical_and_ids_are_stable(convert: Convert) -> None:
    segments = (msh("ADT^A01"), PID, "NK1|1|DOE^JOHN", PV1, "AL1|1|DA|P^PCN", "DG1|1||E11^DM^I10")
    assert convert(*segments) == convert(*segments)


def test_pid_without_identifiers_uses_facility_control_id_and_position(convert: Convert) -> None:
    bare = "PID|1||||DOE^JANE"
    one_id = one(convert(msh("ADT^A01", "C1"), bare), "Patient")["id"]
    assert one(convert(msh("ADT^A01", "C1"), bare), "Patient")["id"] == one_id
    assert one(convert(msh("ADT^A01", "C2"), bare), "Patient")["id"] != one_id
    assert one(convert(msh("ADT^A01", "C1", facility="OTHER"), bare), "Patient")["id"] != one_id


def test_mapping_errors_are_clear() -> None:
    converter = Converter(Options(allowed_facilities=frozenset({"FAC"})))
    result = converter.convert_text("\r".join([msh("ADT^A01", facility="ROGUE"), PID]), "x.hl7")
    assert [(e.segment, e.field, e.code) for e in result.errors] == [("MSH", 4, "207")]
    assert "ROGUE" not in str(result.errors[0])
    result = converter.convert_text(msh("ADT^A01"), "x.hl7")
    assert [(e.segment, e.code) for e in result.errors] == [("PID", "101")]
    result = converter.convert_text("\r".join([msh("QRY^Q01"), PID]), "x.hl7")
    assert [(e.segment, e.field, e.code) for e in result.errors] == [("MSH", 9, "200")]
    assert not result.conversions


def test_unmapped_segments_are_listed_not_fatal() -> None:
    result = Converter().convert_text(
        "\r".join([msh("ADT^A01"), "EVN|A01", PID, "ZXY|1|secret"]), "x.hl7"
    )
    assert result.conversions[0].unmapped == ("EVN", "ZXY")


def test_ppr_problem_add_and_delete_share_the_condition(convert: Convert) -> None:
    added = one(
        convert(msh("PPR^PC1", "P1"), PID, "PRB|AD|20240101|38341003^Hypertension^SCT|PRB-7"),
        "Condition",
    )
    deleted = one(
        convert(msh("PPR^PC3", "P2"), PID, "PRB|DE|20240201|38341003^Hypertension^SCT|PRB-7"),
        "Condition",
    )
    assert added["id"] == deleted["id"]
    assert added["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert deleted["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in deleted
