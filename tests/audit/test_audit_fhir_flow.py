"""End to end: real asks over an ingested cohort (clinician, researcher, stranger, break-glass),
then the FHIR export, the access review and the checkpointed verification of that log."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from clinvault.errors import AccessDenied
from clinvault.runtime import Runtime
from tests.ask.ask_factories import MRN, NAME_FAMILY, NAME_GIVEN, PATIENT_ID
from tests.ask.conftest import (
    AUDITOR,
    CARE_TEAM_LESS,
    CLINICIAN,
    RESEARCHER,
    SHM,
    Cohort,
    build_cohort,
)
from tests.cli.cli_factories import invoke


@pytest.fixture(scope="module")
def asked() -> Iterator[Cohort]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-audit-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            cohort = build_cohort(root)
            with Runtime.open(cohort.settings()) as runtime:
                service = runtime.ask_service()
                service.ask(CLINICIAN, PATIENT_ID, "latest HbA1c")
                service.ask(RESEARCHER, PATIENT_ID, "latest HbA1c", purpose="HRESCH")
                with pytest.raises(AccessDenied):
                    service.ask(CARE_TEAM_LESS, PATIENT_ID, "latest HbA1c")
                service.ask(
                    CARE_TEAM_LESS,
                    PATIENT_ID,
                    "latest HbA1c",
                    purpose="ETREAT",
                    break_glass_reason="unresponsive in the ED",
                )
            for key, value in cohort.env.items():
                patch.setenv(key, value)
            yield cohort
        finally:
            shutil.rmtree(root, ignore_errors=True)


def ndjson(path: Path) -> list[dict[str, Any]]:
    resources = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        model = FhirAuditEvent if data["resourceType"] == "AuditEvent" else FhirProvenance
        model.model_validate(data)
        resources.append(data)
    return resources


def patient_entities(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["what"] for ev in events for e in ev.get("entity", []) if e["role"]["code"] == "1"]


def test_the_flow_verifies_against_a_signed_checkpoint(asked: Cohort) -> None:
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "signed checkpoint" in result.output


def test_pseudonymous_export_validates_counts_and_leaks_nothing(
    asked: Cohort, tmp_path: Path
) -> None:
    out = tmp_path / "audit.ndjson"
    assert (
        invoke("audit", "export", "--patient", asked.patient_token, "--out", str(out)).exit_code
        == 0
    )
    resources = ndjson(out)
    records = [
        r
        for r in json.loads(invoke("audit", "list", "--limit", "1000", "--json").output)
        if r["patient"] == asked.patient_token
    ]
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    provenances = [r for r in resources if r["resourceType"] == "Provenance"]
    answered = [r for r in records if r["kind"] == "ask" and r["outcome"] == "answered"]

    assert len(events) == len(records)
    assert len(provenances) == len(answered) == 3
    assert {p["target"][0]["identifier"]["value"] for p in provenances} == {
        r["response_id"] for r in answered
    }
    text = out.read_text()
    for secret in (PATIENT_ID, NAME_GIVEN, NAME_FAMILY, MRN, "unresponsive", "HbA1c"):
        assert secret not in text
    assert {w["identifier"]["value"] for w in patient_entities(events)} == {asked.patient_token}
    purposes = {
        c["code"]
        for e in events
        for a in e["agent"]
        for p in a.get("purposeOfUse", [])
        for c in p["coding"]
    }
    assert {"TREAT", "HRESCH", "ETREAT", "BTG"} <= purposes
    assert any(e["outcome"] == "4" for e in events), "the stranger's refusal"
    for provenance in provenances:
        sources = [e for e in provenance["entity"] if e["role"] == "source"]
        assert any(e["what"]["identifier"]["system"].endswith("resource-token") for e in sources)


def test_auditor_export_names_the_source_patient_and_resources(
    asked: Cohort, tmp_path: Path
) -> None:
    out = tmp_path / "identified.ndjson"
    result = invoke("audit", "export", "--as-user", AUDITOR, "--out", str(out))
    assert result.exit_code == 0, result.output
    resources = ndjson(out)
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    assert {"reference": f"Patient/{PATIENT_ID}"} in patient_entities(events)
    cited = [
        e["what"]["reference"]
        for r in resources
        if r["resourceType"] == "Provenance"
        for e in r["entity"]
        if "reference" in e["what"]
    ]
    assert cited
    assert all("/" in ref and not ref.startswith("RES-") for ref in cited)
    assert NAME_FAMILY not in out.read_text(), "references, never demographics"


def test_access_review_of_the_flow(asked: Cohort, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    result = invoke("audit", "report", "--patient", asked.patient_token, "--html", str(page))
    assert result.exit_code == 0, result.output
    rows = json.loads(invoke("audit", "report", "--patient", asked.patient_token, "--json").output)
    asks = [r for r in rows if r["kind"] == "ask"]
    revealed = {(r["principal"], r["purpose"], r["revealed"].split(" ")[0]) for r in asks}
    assert (CLINICIAN, "TREAT", "identified") in revealed
    assert (RESEARCHER, "HRESCH", "pseudonymous") in revealed
    assert (CARE_TEAM_LESS, "TREAT", "nothing") in revealed
    assert (CARE_TEAM_LESS, "ETREAT", "identified") in revealed
    assert [r["principal"] for r in rows if r["break_glass"] and r["kind"] == "ask"] == [
        CARE_TEAM_LESS
    ]
    html = page.read_text()
    assert NAME_FAMILY not in html
    assert "unresponsive" not in html
