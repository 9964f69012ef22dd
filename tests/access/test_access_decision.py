"""The policy table of ``decide``, case by case."""

from __future__ import annotations

from typing import Literal

import pytest

from clinvault.access import Principal, Reason, Role, decide

CLINICIAN = Principal("dr.grey", Role.CLINICIAN, "Practitioner/p1")
RESEARCHER = Principal("res.one", Role.RESEARCHER)
AUDITOR = Principal("ann.auditor", Role.AUDITOR)
Standing = Literal["grant", "care-team"] | None


@pytest.mark.parametrize(
    ("principal", "purpose", "standing", "glass", "allowed", "reidentify", "reason", "relation"),
    [
        (None, "TREAT", None, None, False, False, "unknown-principal", None),
        (CLINICIAN, "TREAT", "grant", None, True, True, "grant", "grant"),
        (CLINICIAN, "ETREAT", "care-team", None, True, True, "care-team", "care-team"),
        (CLINICIAN, "HOPERAT", "grant", None, True, True, "grant", "grant"),
        (CLINICIAN, "TREAT", None, None, False, False, "no-relationship", None),
        (CLINICIAN, "ETREAT", None, "unconscious in ED", True, True, "break-glass", "break-glass"),
        (CLINICIAN, "TREAT", None, "  ", False, False, "break-glass-reason-required", None),
        (CLINICIAN, "TREAT", "grant", "not needed", True, True, "grant", "grant"),
        (CLINICIAN, "HRESCH", "grant", None, True, False, "pseudonymous-only", None),
        (CLINICIAN, "HPAYMT", "grant", None, False, False, "purpose-not-permitted", None),
        (RESEARCHER, "HRESCH", None, None, True, False, "pseudonymous-only", None),
        (RESEARCHER, "TREAT", None, "emergency", True, False, "pseudonymous-only", None),
        (AUDITOR, "TREAT", None, None, False, False, "role-not-permitted", None),
        (AUDITOR, "HRESCH", None, "emergency", False, False, "role-not-permitted", None),
    ],
)
def test_policy_table(
    principal: Principal | None,
    purpose: str,
    standing: Standing,
    glass: str | None,
    allowed: bool,
    reidentify: bool,
    reason: str,
    relation: str | None,
) -> None:
    decision = decide(principal, purpose, standing, glass)
    assert (decision.allowed, decision.reidentify, decision.reason, decision.relationship) == (
        allowed,
        reidentify,
        reason,
        relation,
    )
    assert decision.break_glass == (relation == "break-glass")
    assert (decision.break_glass_reason is not None) == decision.break_glass


def test_reidentification_implies_allowed_for_every_combination() -> None:
    for principal in (None, CLINICIAN, RESEARCHER, AUDITOR):
        for purpose in ("TREAT", "ETREAT", "HOPERAT", "HRESCH", "OTHER"):
            for standing in (None, "grant", "care-team"):
                for glass in (None, "", "why"):
                    decision = decide(principal, purpose, standing, glass)
                    assert not decision.reidentify or decision.allowed
                    assert decision.reason in set(Reason)
                    if principal is not CLINICIAN:
                        assert not decision.reidentify
