"""AccessControl.authorize end to end: every decision is decided right and audited."""

from __future__ import annotations

import pytest

from clinvault.access import AccessControl, AccessStore
from clinvault.audit import AuditLog

PATIENT_REF = "Patient/abc-123"
TOKEN = "PT-3F9A1C0B7D2E4A61"


@pytest.fixture
def populated(store: AccessStore) -> AccessStore:
    store.add_user("dr.grant", "clinician")
    store.add_user("dr.team", "clinician", "Practitioner/p-17")
    store.add_user("dr.stranger", "clinician", "Practitioner/p-99")
    store.add_user("res.one", "researcher")
    store.add_user("ann.auditor", "auditor")
    store.grant("dr.grant", "abc-123")
    store.record_care_team(PATIENT_REF, ["Practitioner/p-17"])
    return store


@pytest.mark.parametrize(
    ("user", "purpose", "glass", "allowed", "reidentify", "reason", "outcome"),
    [
        ("dr.grant", "TREAT", None, True, True, "grant", "allowed"),
        ("dr.team", "TREAT", None, True, True, "care-team", "allowed"),
        ("dr.stranger", "TREAT", None, False, False, "no-relationship", "refused"),
        ("dr.stranger", "ETREAT", "collapsed in ED", True, True, "break-glass", "allowed"),
        ("res.one", "HRESCH", None, True, False, "pseudonymous-only", "allowed"),
        ("ann.auditor", "TREAT", None, False, False, "role-not-permitted", "refused"),
        ("nobody", "TREAT", None, False, False, "unknown-principal", "refused"),
        ("bad name\n", "TREAT", None, False, False, "unknown-principal", "refused"),
    ],
)
def test_decisions_are_made_and_audited(
    populated: AccessStore,
    control: AccessControl,
    audit_log: AuditLog,
    user: str,
    purpose: str,
    glass: str | None,
    allowed: bool,
    reidentify: bool,
    reason: str,
    outcome: str,
) -> None:
    decision = control.authorize(
        user, PATIENT_REF, purpose, patient_token=TOKEN, break_glass_reason=glass
    )
    assert (decision.allowed, decision.reidentify, decision.reason) == (allowed, reidentify, reason)

    assert decision.audit_response_id is not None
    record = audit_log.get(decision.audit_response_id)
    assert record is not None
    assert (record.kind, record.outcome, record.reason, record.patient) == (
        "access",
        outcome,
        reason,
        TOKEN,
    )
    assert record.principal == (user if user.isprintable() else "invalid-user-name")
    assert record.break_glass == (reason == "break-glass")
    assert (record.break_glass_reason_sealed is not None) == (reason == "break-glass")
    assert audit_log.verify().ok


def test_break_glass_reason_is_readable_by_auditors_only(
    populated: AccessStore, control: AccessControl, audit_log: AuditLog
) -> None:
    decision = control.authorize(
        "dr.stranger", "abc-123", "ETREAT", patient_token=TOKEN, break_glass_reason="collapsed"
    )
    assert decision.audit_response_id is not None
    record = audit_log.get(decision.audit_response_id)
    assert record is not None
    auditor = populated.principal("ann.auditor")
    assert auditor is not None
    assert audit_log.reveal(record, auditor).break_glass_reason == "collapsed"
    assert [r.response_id for r in audit_log.break_glass_records()] == [record.response_id]


def test_revoked_grant_stops_access(populated: AccessStore, control: AccessControl) -> None:
    populated.revoke("dr.grant", PATIENT_REF)
    decision = control.authorize("dr.grant", PATIENT_REF, "TREAT", patient_token=TOKEN)
    assert (decision.allowed, decision.reason) == (False, "no-relationship")


def test_care_team_recorded_after_the_user_was_added(
    populated: AccessStore, control: AccessControl
) -> None:
    assert not control.authorize("dr.stranger", PATIENT_REF, "TREAT", patient_token=TOKEN).allowed
    populated.record_care_team("abc-123", ["Practitioner/p-99"])
    decision = control.authorize("dr.stranger", PATIENT_REF, "TREAT", patient_token=TOKEN)
    assert (decision.allowed, decision.relationship) == (True, "care-team")
