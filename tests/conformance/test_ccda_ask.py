"""Questions over a converted C-CDA: the ONC-style R2.1 CCD sample is ingested, its author
(NPI 5555555555, the service event's primary care provider) is a clinician user, and
"What is the latest hemoglobin?" is answered with the result's value and unit, citing the
Observation made from that result entry (found by the entry's id, read from the XML here).
The author has no grant: access comes from the care team the document names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.settings import Settings

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ccda" / "microsoft-fhir-converter"
DOCUMENT = DATA / "input" / "C-CDA_R2-1_CCD.xml.ccda"
pytestmark = pytest.mark.skipif(
    not DOCUMENT.is_file(), reason=f"{DOCUMENT} is missing (../shared/data)"
)
NS = {"v": "urn:hl7-org:v3"}
runner = CliRunner()


def _hemoglobin_entry_id() -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(DOCUMENT), parser).getroot()
    found = root.xpath("//v:observation[v:code/@code='718-7']/v:id/@root", namespaces=NS)
    assert isinstance(found, list)
    (entry_id,) = {str(x) for x in found}
    return entry_id


def test_latest_hemoglobin_is_answered_and_cited(settings: Settings) -> None:
    env = {"CLINVAULT_HOME": str(settings.home), "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing"}
    converted = runner.invoke(app, ["convert", str(DOCUMENT), "--json"], env=env)
    assert converted.exit_code == 0
    resources = [e["resource"] for e in json.loads(converted.stdout)["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    entry_id = f"urn:uuid:{_hemoglobin_entry_id()}"
    observation = next(
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and any(i["value"] == entry_id for i in r.get("identifier", []))
    )
    assert runner.invoke(app, ["ingest", str(DOCUMENT)], env=env).exit_code == 0
    added = runner.invoke(
        app,
        ["access", "add-user", "--user", "dr-tanner", "--role", "clinician",
         "--practitioner", "Practitioner/npi-5555555555"],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    asked = runner.invoke(
        app,
        ["ask", "--user", "dr-tanner", "--patient", f"Patient/{patient['id']}", "--json",
         "What is the latest hemoglobin?"],
        env=env,
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    body = json.loads(asked.stdout)
    assert body["outcome"] == "answered"
    assert "13.2 g/dL" in body["answer"]
    assert [c["reference"] for c in body["citations"]] == [f"Observation/{observation['id']}"]
    stranger = runner.invoke(
        app, ["access", "add-user", "--user", "dr-stranger", "--role", "clinician"], env=env
    )
    assert stranger.exit_code == 0
    refused = runner.invoke(
        app,
        ["ask", "--user", "dr-stranger", "--patient", f"Patient/{patient['id']}",
         "What is the latest hemoglobin?"],
        env=env,
    )  # fmt: skip
    assert refused.exit_code == 3
