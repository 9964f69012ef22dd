"""Consent at ask time, end to end: ``clinvault consent set`` and a FHIR Consent ingested in a
bundle are honoured before retrieval, refusals cite the Consent, break-glass is flagged."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clinvault.audit import AuditRecord
from clinvault.cli.main import app
from clinvault.errors import AccessDenied
from clinvault.runtime import Runtime
from tests.ask.ask_factories import OTHER_ID, PATIENT_ID
from tests.ask.conftest import CLINICIAN, RESEARCHER, SHM, Cohort, build_cohort

ANNA, BERT = f"Patient/{PATIENT_ID}", f"Patient/{OTHER_ID}"
QUESTION = "latest HbA1c?"


@pytest.fixture(scope="module")
def cohort() -> Iterator[Cohort]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-consent-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            yield build_cohort(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _cli(cohort: Cohort, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=cohort.env)


def _ask(cohort: Cohort, user: str, patient: str, purpose: str, glass: str | None = None) -> str:
    with Runtime.open(cohort.settings()) as runtime:
        try:
            runtime.ask_service().ask(
                user, patient, QUESTION, purpose=purpose, break_glass_reason=glass
            )
        except AccessDenied as refused:
            return refused.reason
    return "answered"


def _last(cohort: Cohort, kind: str) -> AuditRecord:
    with Runtime.open(cohort.settings()) as runtime:
        return [r for r in runtime.audit_log.iter_records() if r.kind == kind][-1]


def _token(cohort: Cohort, ref: str) -> str:
    with Runtime.open(cohort.settings()) as runtime:
        return runtime.vault.resource_token(ref)


def test_cli_deny_research_refuses_researchers_before_retrieval(cohort: Cohort) -> None:
    assert _ask(cohort, RESEARCHER, ANNA, "HRESCH") == "answered"
    result = _cli(cohort, "consent", "set", "--patient", PATIENT_ID, "--deny", "research")
    assert result.exit_code == 0, result.output
    consent = _token(cohort, f"Consent/clinvault-optout-{cohort.patient_token[3:].lower()}")
    assert consent in result.output

    assert _ask(cohort, RESEARCHER, ANNA, "HRESCH") == "consent-denied"
    ask, access = _last(cohort, "ask"), _last(cohort, "access")
    assert (ask.outcome, ask.reason) == ("refused", "consent-denied")
    assert [c.resource for c in ask.citations] == [consent]
    assert [c.resource for c in access.citations] == [consent]
    assert ask.retrieved == ()  # refused before retrieval: nothing reached the model
    assert _ask(cohort, CLINICIAN, ANNA, "TREAT") == "answered"
    assert _ask(cohort, RESEARCHER, BERT, "HRESCH") == "answered"
    shown = _cli(cohort, "consent", "show", "--patient", PATIENT_ID)
    assert "research" in shown.output


def test_cli_deny_all_and_break_glass_over_it(cohort: Cohort) -> None:
    assert _cli(cohort, "consent", "set", "--patient", PATIENT_ID, "--deny", "all").exit_code == 0
    assert _ask(cohort, CLINICIAN, ANNA, "TREAT") == "consent-denied"
    assert _ask(cohort, CLINICIAN, ANNA, "ETREAT", "unconscious, allergy check") == "answered"
    access = _last(cohort, "access")
    assert (access.reason, access.break_glass) == ("break-glass-over-consent", True)
    assert len(access.citations) == 1
    assert _ask(cohort, RESEARCHER, ANNA, "HRESCH", "urgent") == "consent-denied"

    assert _cli(cohort, "consent", "set", "--patient", PATIENT_ID, "--deny", "none").exit_code == 0
    assert _ask(cohort, CLINICIAN, ANNA, "TREAT") == "answered"
    assert _ask(cohort, RESEARCHER, ANNA, "HRESCH") == "answered"
    admin = [r for r in _records(cohort) if r.kind == "admin"]
    assert [r.purpose for r in admin] == ["deny-research", "deny-all", "deny-none"]


def test_break_glass_does_not_override_where_the_policy_says_no(cohort: Cohort) -> None:
    assert _cli(cohort, "consent", "set", "--patient", PATIENT_ID, "--deny", "all").exit_code == 0
    settings = cohort.settings(access={"break_glass_over_consent": False})
    with Runtime.open(settings) as runtime, pytest.raises(AccessDenied) as refused:
        runtime.ask_service().ask(
            CLINICIAN, ANNA, QUESTION, purpose="ETREAT", break_glass_reason="unconscious"
        )
    assert refused.value.reason == "consent-denied"
    assert _cli(cohort, "consent", "set", "--patient", PATIENT_ID, "--deny", "none").exit_code == 0


def test_a_fhir_consent_from_ingest_is_honoured(cohort: Cohort, tmp_path: Path) -> None:
    consent = {
        "resourceType": "Consent",
        "id": "bert-optout",
        "status": "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                              "code": "research"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "57016-8"}]}],
        "patient": {"reference": BERT},
        "provision": {"type": "deny"},
    }  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "urn:uuid:bert-optout", "resource": consent}]}  # fmt: skip
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(bundle))
    assert _cli(cohort, "ingest", str(path)).exit_code == 0
    assert _ask(cohort, RESEARCHER, BERT, "HRESCH") == "consent-denied"
    assert [c.resource for c in _last(cohort, "ask").citations] == [
        _token(cohort, "Consent/bert-optout")
    ]
    assert _ask(cohort, CLINICIAN, BERT, "TREAT") == "answered"


def test_cli_deny_a_purpose_of_use_only(cohort: Cohort) -> None:
    set_ = ("consent", "set", "--patient", PATIENT_ID)
    refused = _cli(cohort, *set_, "--deny", "none", "--purpose", "HOPERAT")
    assert refused.exit_code == 2
    assert "--purpose" in refused.output
    result = _cli(cohort, *set_, "--deny", "all", "--purpose", "HOPERAT")
    assert result.exit_code == 0, result.output
    assert "deny-HOPERAT" in result.output
    assert _ask(cohort, CLINICIAN, ANNA, "HOPERAT") == "consent-denied"
    assert _ask(cohort, CLINICIAN, ANNA, "TREAT") == "answered"
    assert _ask(cohort, RESEARCHER, ANNA, "HRESCH") == "answered"
    assert "HOPERAT" in _cli(cohort, "consent", "show", "--patient", PATIENT_ID).output
    assert [r.purpose for r in _records(cohort) if r.kind == "admin"][-1] == "deny-HOPERAT"
    assert _cli(cohort, *set_, "--deny", "none").exit_code == 0
    assert _ask(cohort, CLINICIAN, ANNA, "HOPERAT") == "answered"


def _records(cohort: Cohort) -> list[AuditRecord]:
    with Runtime.open(cohort.settings()) as runtime:
        return list(runtime.audit_log.iter_records())
