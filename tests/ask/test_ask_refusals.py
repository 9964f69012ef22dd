"""Refusals are audited and compute nothing; guard blocks and unknown patients are audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinvault.ask import AskService
from clinvault.audit import AuditLog, AuditRecord
from clinvault.errors import AccessDenied, EgressBlocked, InputError
from tests.ask.ask_doubles import ForbiddenLLM, ScriptedLLM
from tests.ask.ask_factories import OTHER_ID, PATIENT_ID
from tests.ask.conftest import AUDITOR, CARE_TEAM_LESS, CLINICIAN, RESEARCHER, Cohort, Services

PATIENT = f"Patient/{PATIENT_ID}"


FORBIDDEN = ForbiddenLLM()


@pytest.fixture
def guarded(services: Services) -> AskService:
    """A service whose model fails the test if it is ever called."""
    return services.get(FORBIDDEN)


@pytest.fixture
def audit_log(cohort: Cohort) -> Iterator[AuditLog]:
    log = AuditLog.open(cohort.settings())
    yield log
    log.close()


def _last_ask(log: AuditLog) -> AuditRecord:
    return next(r for r in log.recent(5) if r.kind == "ask")


@pytest.mark.parametrize(
    ("user", "purpose", "reason"),
    [
        (CARE_TEAM_LESS, "TREAT", "no-relationship"),
        (AUDITOR, "TREAT", "role-not-permitted"),
        ("nobody", "TREAT", "unknown-principal"),
        (CLINICIAN, "MARKETING", "purpose-not-permitted"),
    ],
)
def test_refusal_is_audited_and_computes_nothing(
    guarded: AskService, audit_log: AuditLog, user: str, purpose: str, reason: str
) -> None:
    with pytest.raises(AccessDenied) as refused:
        guarded.ask(user, PATIENT, "What is the latest HbA1c?", purpose=purpose)
    assert refused.value.reason == reason
    record = _last_ask(audit_log)
    assert record.outcome == "refused"
    assert record.reason == reason
    assert record.retrieved == ()
    assert record.prompt_sha256 is None
    assert record.model is None
    access = audit_log.get(record.related_response_id or "")
    assert access is not None
    assert access.outcome == "refused"


def test_break_glass_is_allowed_flagged_and_reidentified(
    services: Services, audit_log: AuditLog
) -> None:
    service = services.get(ScriptedLLM("The newest value is in the records [1]."))
    result = service.ask(
        CARE_TEAM_LESS, PATIENT, "latest HbA1c", break_glass_reason="patient unconscious in ED"
    )
    assert not result.pseudonymous
    assert result.citations[0].reference.startswith("Observation/")
    record = audit_log.get(result.response_id)
    assert record is not None
    assert record.break_glass
    assert record.outcome == "answered"


def test_unknown_patient_is_an_input_error_after_authorization(
    guarded: AskService, audit_log: AuditLog
) -> None:
    with pytest.raises(InputError):
        guarded.ask(RESEARCHER, "Patient/never-ingested", "anything?", purpose="HRESCH")
    record = _last_ask(audit_log)
    assert record.outcome == "error"
    assert record.reason == "unknown-patient"


def test_egress_guard_block_is_audited(services: Services, audit_log: AuditLog) -> None:
    # the client runs no guard of its own: the service's guard stops the prompt
    unguarded = ScriptedLLM("never [1]")
    service = services.get(unguarded)
    with pytest.raises(EgressBlocked):
        # an unknown phone number is not tokenized by the vault, so the guard stops it
        service.ask(CLINICIAN, PATIENT, "Did she call from 617-555-0199 about her HbA1c?")
    assert unguarded.prompts == []
    record = _last_ask(audit_log)
    assert record.outcome == "blocked"
    assert record.reason == "egress-blocked"
    assert record.prompt_sha256 is not None
    assert record.output_sha256 is None


def test_a_streamed_ask_is_guarded_before_the_client_sees_it(
    services: Services, audit_log: AuditLog
) -> None:
    unguarded = ScriptedLLM("never [1]")
    service = services.get(unguarded)
    with pytest.raises(EgressBlocked):
        service.ask_stream(CLINICIAN, PATIENT, "Did she call from 617-555-0199 about her HbA1c?")
    assert unguarded.prompts == []
    record = _last_ask(audit_log)
    assert (record.outcome, record.reason) == ("blocked", "egress-blocked")


def test_retrieval_never_crosses_patients(service: AskService, cohort: Cohort) -> None:
    result = service.ask(CLINICIAN, f"Patient/{OTHER_ID}", "What is the latest HbA1c?")
    assert "9.9 %" in result.answer
    assert "7.9 %" not in result.answer
    assert {c.reference for c in result.citations} == {"Observation/b-a1c-0"}


def test_malformed_patient_reference_and_empty_question_are_audited_errors(
    guarded: AskService, audit_log: AuditLog
) -> None:
    with pytest.raises(InputError):
        guarded.ask(CLINICIAN, "Observation/not-a-patient", "anything?")
    record = _last_ask(audit_log)
    assert (record.outcome, record.reason, record.patient) == (
        "error",
        "invalid-patient-reference",
        None,
    )
    with pytest.raises(InputError):
        guarded.ask(CLINICIAN, PATIENT, "   ")
    assert _last_ask(audit_log).reason == "empty-question"
