"""``clinvault audit export --format fhir``, ``audit report`` and ``audit checkpoint``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent
from fhir.resources.R4B.provenance import Provenance as FhirProvenance

from clinvault.audit import AuditEvent, AuditLog, Citation
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.cli.cli_factories import invoke

PATIENT = "PT-3F9A1C0B7D2E4A61"
OTHER = "PT-00000000000000AA"
RESOURCE = "RES-9C0FE2D4A1B37755"
QUESTION = "Is Jane Q. Public still on metformin?"


@pytest.fixture
def cli_home(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CLINVAULT_HOME", str(settings.home))
    with Runtime.open(settings) as runtime:
        runtime.access_store.add_user("ann.auditor", "auditor")
    return settings


def flow(log: AuditLog, user: str, role: str, purpose: str, patient: str, **kw: Any) -> None:
    """An access decision, then the ask that it allowed or refused (linked)."""
    allowed = kw.pop("allowed", True)
    reason = kw.pop("reason", "care-team")
    glass = kw.pop("break_glass_reason", None)
    decision = log.append(
        AuditEvent(
            kind="access",
            principal=user,
            role=role,
            purpose=purpose,
            patient=patient,
            outcome="allowed" if allowed else "refused",
            reason=reason,
            break_glass=glass is not None,
            break_glass_reason=glass,
        )
    )
    log.append(
        AuditEvent(
            kind="ask",
            principal=user,
            role=role,
            purpose=purpose,
            patient=patient,
            question=QUESTION,
            outcome="answered" if allowed else "refused",
            reason="grounded" if allowed else reason,
            model="clinvault/evidence" if allowed else None,
            route="local" if allowed else None,
            citations=(Citation("chunk-1", RESOURCE),) if allowed else (),
            prompt_sha256="a" * 64 if allowed else None,
            output_sha256="b" * 64 if allowed else None,
            break_glass=glass is not None,
            break_glass_reason=glass,
            related_response_id=decision.response_id,
        )
    )


@pytest.fixture
def demo(cli_home: Settings) -> Settings:
    """Asks by a clinician, a researcher, a stranger and a break-glass clinician."""
    runtime = Runtime.open(cli_home)
    log = runtime.audit_log
    flow(log, "dr.grey", "clinician", "TREAT", PATIENT)
    flow(log, "rita.research", "researcher", "HRESCH", PATIENT, reason="pseudonymous-only")
    flow(log, "mallory", "clinician", "TREAT", PATIENT, allowed=False, reason="no-relationship")
    flow(
        log,
        "dr.er",
        "clinician",
        "ETREAT",
        PATIENT,
        reason="break-glass",
        break_glass_reason="unresponsive in ED",
    )
    flow(log, "dr.grey", "clinician", "TREAT", OTHER)
    runtime.close()
    return cli_home


def listed(limit: int = 1000) -> list[dict[str, Any]]:
    result = invoke("audit", "list", "--limit", str(limit), "--json")
    assert result.exit_code == 0, result.output
    views: list[dict[str, Any]] = json.loads(result.output)
    return views


def parse_ndjson(path: Path) -> list[dict[str, Any]]:
    resources = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        model = FhirAuditEvent if data["resourceType"] == "AuditEvent" else FhirProvenance
        model.model_validate(data)
        resources.append(data)
    return resources


def test_export_validates_every_line_and_matches_the_list(demo: Settings, tmp_path: Path) -> None:
    out = tmp_path / "audit.ndjson"
    result = invoke("audit", "export", "--format", "fhir", "--out", str(out))
    assert result.exit_code == 0, result.output
    resources = parse_ndjson(out)
    records = listed()
    events = [r for r in resources if r["resourceType"] == "AuditEvent"]
    provenances = [r for r in resources if r["resourceType"] == "Provenance"]

    assert len(events) == len(records) == 11, "10 demo records and the export's own record"
    assert {e["id"] for e in events} == {r["response_id"] for r in records}
    answered = [r for r in records if r["kind"] == "ask" and r["outcome"] == "answered"]
    assert len(provenances) == len(answered) == 4
    assert f"wrote {len(events)} AuditEvent and {len(provenances)} Provenance" in result.output
    text = out.read_text()
    assert "Jane" not in text
    assert "unresponsive" not in text
    btg = [
        e
        for e in events
        if any(
            c["code"] == "BTG"
            for a in e["agent"]
            for p in a.get("purposeOfUse", [])
            for c in p["coding"]
        )
    ]
    assert len(btg) == 2, "the break-glass decision and its ask"
    assert sum(1 for e in events if e["outcome"] == "4") == 2, "the stranger's refusals"


def test_export_filters_by_patient_and_time(demo: Settings, tmp_path: Path) -> None:
    out = tmp_path / "p.ndjson"
    assert invoke("audit", "export", "--patient", OTHER, "--out", str(out)).exit_code == 0
    events = [r for r in parse_ndjson(out) if r["resourceType"] == "AuditEvent"]
    about_other = [r for r in listed() if r["patient"] == OTHER]
    assert len(events) == len(about_other) == 3, "two records and the export's own"

    later = tmp_path / "later.ndjson"
    assert invoke("audit", "export", "--since", "2999-01-01", "--out", str(later)).exit_code == 0
    assert later.read_text() == ""
    assert invoke("audit", "export", "--since", "yesterday", "--out", str(later)).exit_code == 2


def test_export_is_audited_and_tokens_the_vault_does_not_know_stay_pseudonymous(
    demo: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "a.ndjson"
    result = invoke("audit", "export", "--as-user", "ann.auditor", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert PATIENT in out.read_text(), "not in this vault (or erased): the token stays"
    last = listed(1)[0]
    assert (last["kind"], last["principal"], last["reason"]) == (
        "audit-view",
        "ann.auditor",
        "fhir-export-identified",
    )
    assert invoke("audit", "export", "--as-user", "nobody", "--out", str(out)).exit_code == 2


def test_report_lists_who_when_why_what_and_break_glass(demo: Settings, tmp_path: Path) -> None:
    page = tmp_path / "review.html"
    result = invoke("audit", "report", "--patient", PATIENT, "--html", str(page))
    assert result.exit_code == 0, result.output
    assert "8 records, 4 principals, 2 identified answers, 2 break-glass" in result.output

    rows = json.loads(invoke("audit", "report", "--patient", PATIENT, "--json").output)
    asks = {r["principal"]: r for r in rows if r["kind"] == "ask"}
    assert asks["dr.grey"]["revealed"] == "identified answer citing 1 resource(s)"
    assert asks["rita.research"]["revealed"] == "pseudonymous answer citing 1 resource(s)"
    assert asks["mallory"]["revealed"] == "nothing"
    assert asks["dr.er"]["break_glass"] is True
    assert {r["purpose"] for r in rows} == {"TREAT", "HRESCH", "ETREAT"}

    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "dr.er" in html
    assert "BTG" in html
    assert "unresponsive" not in html
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html


def test_checkpoint_command_signs_the_head_and_verify_uses_it(demo: Settings) -> None:
    result = invoke("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("checkpoint 10:")
    key = invoke("audit", "checkpoint", "--public-key").output.strip()
    assert len(key) == 44
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0
    assert "consistent with the signed checkpoint at record 10" in verified.output
    checkpoints = demo.home / "audit" / "checkpoints.jsonl"
    assert checkpoints.stat().st_mode & 0o777 == 0o600
