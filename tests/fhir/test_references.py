"""ReferenceIndex / Linkage: patient linkage, reference normalization, care teams, dangling refs."""

from __future__ import annotations

from typing import Any

import pytest

from clinvault.fhir.references import Linkage, ReferenceIndex, resource_key
from clinvault.fhir.sources import SourceResource

NPI = "http://hl7.org/fhir/sid/us-npi"


def item(
    resource: dict[str, Any], where: str, full_url: str | None = None, bundle: str | None = None
) -> SourceResource:
    return SourceResource(resource, where, full_url, bundle)


def link(*items: SourceResource, prior: Any = None) -> Linkage:
    index = ReferenceIndex(prior=prior)
    for source in items:
        index.add(source)
    return index.link()


def ref(reference: str) -> dict[str, str]:
    return {"reference": reference}


def test_bundle_urn_uuid_references_resolve_to_type_and_id() -> None:
    bundle = "b.json"
    linkage = link(
        item({"resourceType": "Patient", "id": "p1"}, "b.json#entry[0]", "urn:uuid:aaa", bundle),
        item(
            {"resourceType": "Encounter", "id": "e1", "subject": ref("urn:uuid:aaa")},
            "b.json#entry[1]", "urn:uuid:bbb", bundle,
        ),
        item(
            {"resourceType": "Observation", "id": "o1", "subject": ref("urn:uuid:aaa"),
             "encounter": ref("urn:uuid:bbb")},
            "b.json#entry[2]", "urn:uuid:ccc", bundle,
        ),
    )  # fmt: skip
    assert linkage.links["b.json#entry[2]"].patient == "Patient/p1"
    assert linkage.links["b.json#entry[2]"].via == "subject"
    assert linkage.resolve(ref("urn:uuid:bbb"), bundle=bundle) == "Encounter/e1"
    assert linkage.resolve(ref("urn:uuid:ccc"), bundle=bundle) == "Observation/o1"
    assert linkage.problems() == []


def test_resource_without_id_takes_its_key_from_the_urn_uuid() -> None:
    assert resource_key({"resourceType": "Patient"}, "urn:uuid:1234") == "Patient/1234"
    assert resource_key({"resourceType": "Patient"}, "http://x/fhir/Patient/9") == "Patient/9"
    assert resource_key({"resourceType": "Patient"}, None) is None


def test_ndjson_files_in_any_order_link_across_files() -> None:
    # Observations arrive before the Encounter and the Patient they point at.
    linkage = link(
        item({"resourceType": "Procedure", "id": "x1", "encounter": ref("Encounter/e1")}, "Procedure.ndjson:1"),
        item({"resourceType": "Observation", "id": "o1", "subject": ref("Patient/p1")}, "Observation.ndjson:1"),
        item({"resourceType": "Encounter", "id": "e1", "subject": ref("Patient/p1")}, "Encounter.ndjson:1"),
        item({"resourceType": "Patient", "id": "p1"}, "Patient.ndjson:1"),
    )  # fmt: skip
    assert linkage.links["Procedure.ndjson:1"].patient == "Patient/p1"
    assert linkage.links["Procedure.ndjson:1"].via == "encounter"
    assert linkage.links["Observation.ndjson:1"].patient == "Patient/p1"
    assert linkage.patients() == {"Patient/p1"}


@pytest.mark.parametrize(
    ("element", "reference"),
    [
        ("subject", "Patient/p1"),
        ("patient", "Patient/p1/_history/3"),
        ("beneficiary", "http://example.org/fhir/Patient/p1"),
        ("individual", "Patient?identifier=urn:mrn|12345"),
    ],
)
def test_patient_elements_and_reference_forms(element: str, reference: str) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:mrn", "value": "12345"}],
    }
    linkage = link(
        item(patient, "p.json"),
        item({"resourceType": "Coverage", "id": "c1", element: ref(reference)}, "c.json"),
    )
    assert linkage.links["c.json"].patient == "Patient/p1"
    assert linkage.links["c.json"].via == element


def test_identifier_only_reference_links_a_patient() -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:mrn", "value": "7"}],
    }
    claim = {
        "resourceType": "Claim",
        "patient": {"identifier": {"system": "urn:mrn", "value": "7"}},
    }
    linkage = link(item(patient, "p.json"), item(claim, "c.json"))
    assert linkage.links["c.json"].patient == "Patient/p1"


def test_shared_resources_have_no_patient_and_no_problem() -> None:
    linkage = link(
        item({"resourceType": "Practitioner", "id": "dr"}, "a"),
        item({"resourceType": "Medication", "id": "m"}, "b"),
        item({"resourceType": "Observation", "id": "o", "subject": ref("Group/g1")}, "c"),
        item({"resourceType": "Observation", "id": "o2", "subject": ref("#contained")}, "d"),
    )
    assert all(linkage.links[w].shared for w in "abcd")
    assert linkage.problems() == []


@pytest.mark.parametrize(
    "reference",
    [
        "Patient/secret-mrn-4711",
        "urn:uuid:00000000-dead-beef-0000-000000000000",
        "Patient?identifier=x|secret-mrn-4711",
    ],
)
def test_dangling_patient_reference_is_reported_without_the_reference(reference: str) -> None:
    linkage = link(
        item({"resourceType": "Patient", "id": "p1"}, "p.json"),
        item(
            {"resourceType": "Condition", "id": "c1", "subject": ref(reference)}, "b.json#entry[12]"
        ),
    )
    [problem] = linkage.problems()
    assert problem.where == "b.json#entry[12]"
    assert problem.patient is None
    assert problem.problem is not None
    assert problem.problem.startswith("Condition at b.json#entry[12]: the subject reference")
    assert "dangling" in problem.problem
    assert "secret" not in problem.problem
    assert "dead" not in problem.problem


def test_dangling_encounter_is_reported() -> None:
    linkage = link(
        item({"resourceType": "Procedure", "id": "x", "encounter": ref("Encounter/gone")}, "x")
    )
    [problem] = linkage.problems()
    assert problem.problem is not None
    assert "encounter reference" in problem.problem


class Prior:
    def patient_of(self, reference: str) -> str | None:
        return {"Patient/old": "Patient/old", "Encounter/old-e": "Patient/old"}.get(reference)


def test_already_known_patient_and_encounter_are_not_dangling() -> None:
    linkage = link(
        item({"resourceType": "Observation", "id": "o", "subject": ref("Patient/old")}, "a"),
        item({"resourceType": "Procedure", "id": "x", "encounter": ref("Encounter/old-e")}, "b"),
        prior=Prior(),
    )
    assert linkage.links["a"].patient == "Patient/old"
    assert linkage.links["b"].patient == "Patient/old"
    assert linkage.problems() == []


def test_conflicting_patient_references_are_a_problem() -> None:
    linkage = link(
        item({"resourceType": "Patient", "id": "p1"}, "p1"),
        item({"resourceType": "Patient", "id": "p2"}, "p2"),
        item({"resourceType": "Account", "id": "a", "subject": ref("Patient/p1"), "patient": ref("Patient/p2")}, "a"),
    )  # fmt: skip
    [problem] = linkage.problems()
    assert problem.problem is not None
    assert "different patients" in problem.problem


def test_care_team_from_general_practitioner_care_team_and_encounters() -> None:
    practitioner = {
        "resourceType": "Practitioner", "id": "dr1", "identifier": [{"system": NPI, "value": "999"}],
    }  # fmt: skip
    role = {
        "resourceType": "PractitionerRole",
        "id": "role1",
        "practitioner": ref("Practitioner/dr3"),
    }
    linkage = link(
        item(practitioner, "dr1"),
        item(role, "role1"),
        item({"resourceType": "Patient", "id": "p1", "generalPractitioner": [ref("Practitioner/dr2"),
              ref("Organization/org")]}, "p1"),
        item({"resourceType": "Encounter", "id": "e1", "subject": ref("Patient/p1"),
              "participant": [{"individual": ref(f"Practitioner?identifier={NPI}|999")},
                              {"individual": ref("RelatedPerson/rp")}]}, "e1"),
        item({"resourceType": "CareTeam", "id": "ct", "subject": ref("Patient/p1"),
              "participant": [{"member": ref("PractitionerRole/role1")}, {"member": ref("Patient/p1")}]},
             "ct"),
    )  # fmt: skip
    assert linkage.care_team == {
        "Patient/p1": frozenset(
            {"Practitioner/dr1", "Practitioner/dr2", "PractitionerRole/role1", "Practitioner/dr3"}
        )
    }


def test_urn_uuid_resolves_within_its_own_bundle_first() -> None:
    linkage = link(
        item({"resourceType": "Patient", "id": "p1"}, "a#entry[0]", "urn:uuid:same", "a"),
        item({"resourceType": "Patient", "id": "p2"}, "b#entry[0]", "urn:uuid:same", "b"),
        item(
            {"resourceType": "Observation", "subject": ref("urn:uuid:same")},
            "b#entry[1]",
            None,
            "b",
        ),
    )
    assert linkage.links["b#entry[1]"].patient == "Patient/p2"
    assert linkage.resolve(ref("urn:uuid:same"), bundle=None) is None  # ambiguous outside a bundle
