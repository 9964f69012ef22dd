"""Authors, the service event's performers and the encounter's participants become
Practitioners, a CareTeam and Encounter participants: the patient's care team at ingest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clinvault.fhir.references import ReferenceIndex
from clinvault.fhir.sources import SourceResource, iter_sources
from clinvault.interop.ccda import convert_bytes
from tests.interop.ccda.ccda_samples import minimal_ccd


def _by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_practitioners_care_team_and_encounter_participants() -> None:
    conversion = convert_bytes(minimal_ccd(clinicians=True), "ccd.xml")
    assert conversion.problems == []
    bundle = conversion.bundle
    practitioners = {p["id"]: p for p in _by_type(bundle, "Practitioner")}
    assert set(practitioners) >= {"npi-1234567893"}  # the NPI names the id
    assert len(practitioners) == 2  # the author and the nurse; the device is no Practitioner
    assert practitioners["npi-1234567893"]["name"][0]["family"] == "Halvorsen"
    (team,) = _by_type(bundle, "CareTeam")
    members = [p["member"]["reference"] for p in team["participant"]]
    assert members[0] == "Practitioner/npi-1234567893"
    assert len(members) == 2
    assert team["participant"][0]["role"][0]["coding"][0]["code"] == "PCP"
    assert team["period"] == {"start": "2010-01-01", "end": "2024-03-01"}
    (encounter,) = [e for e in _by_type(bundle, "Encounter") if "participant" in e]
    assert encounter["participant"][0]["individual"]["reference"] == members[1]
    assert encounter["participant"][0]["type"][0]["coding"][0]["code"] == "ATND"
    notes = _by_type(bundle, "DocumentReference")
    assert all(n["author"] == [{"reference": "Practitioner/npi-1234567893"}] for n in notes)


def test_the_ingest_links_them_as_the_patients_care_team(tmp_path: Path) -> None:
    document = tmp_path / "ccd.xml"
    document.write_bytes(minimal_ccd(clinicians=True))
    index = ReferenceIndex()
    patient = None
    for item in iter_sources([document]):
        assert isinstance(item, SourceResource)
        index.add(item)
        if item.resource["resourceType"] == "Patient":
            patient = f"Patient/{item.resource['id']}"
    linkage = index.link()
    assert linkage.problems() == []
    assert patient is not None
    team = linkage.care_team[patient]
    assert "Practitioner/npi-1234567893" in team
    assert len(team) == 2
