"""Consent: what a FHIR Consent denies, and how the decision applies it."""

from __future__ import annotations

from typing import Any

import pytest

from clinvault.access import Principal, Reason, Role, decide
from clinvault.access.consent import ConsentDeny, consent_resource, denials, denied_scopes

CLINICIAN = Principal("dr.grey", Role.CLINICIAN, "Practitioner/p1")
RESEARCHER = Principal("res.one", Role.RESEARCHER)
RESEARCH = ConsentDeny("research", "RES-00000000000000AA")
ALL = ConsentDeny("all", "RES-00000000000000BB")
HOPERAT_ONLY = ConsentDeny("purpose", "RES-00000000000000CC", ("HOPERAT",))
HRESCH = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}
HOPERAT = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HOPERAT"}


def _consent(provision: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Consent", "id": "c1", "status": "active", "provision": provision,
            **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("consent", "scopes"),
    [
        (_consent({"type": "deny", "purpose": [HRESCH]}), {"research"}),
        (_consent({"type": "deny"}), {"all"}),
        (_consent({"type": "permit", "provision": [{"type": "deny", "purpose": [HRESCH]}]}),
         {"research"}),
        (_consent({"type": "deny"}, scope={"coding": [{"code": "research"}]}), {"research"}),
        (_consent({"type": "permit"}), set()),
        (_consent({"type": "deny"}, status="inactive"), set()),
        (_consent({"type": "deny"}, status="proposed"), set()),
        ({"resourceType": "Observation", "status": "active", "provision": {"type": "deny"}}, set()),
        (consent_resource("c", "Patient/p", "research", "2026-01-01"), {"research"}),
        (consent_resource("c", "Patient/p", "all", "2026-01-01"), {"all"}),
        (consent_resource("c", "Patient/p", None, "2026-01-01"), set()),
        (_consent({"type": "deny", "purpose": [HOPERAT]}), {"purpose"}),
        (_consent({"type": "deny", "purpose": [HRESCH, HOPERAT]}), {"research", "purpose"}),
        (_consent({"type": "permit", "provision": [{"type": "deny", "purpose": [HOPERAT]}]}),
         {"purpose"}),
        (_consent({"type": "permit", "provision": [{"type": "deny"}]}), {"all"}),
        (consent_resource("c", "Patient/p", "purpose", "2026-01-01", ["HOPERAT"]), {"purpose"}),
    ],
)  # fmt: skip
def test_denied_scopes(consent: dict[str, Any], scopes: set[str]) -> None:
    assert denied_scopes(consent) == scopes


def test_a_purpose_denial_names_its_codes() -> None:
    consent = consent_resource("c", "Patient/p", "research", "2026-01-01", ["TREAT", "HOPERAT"])
    assert denials(consent) == {("research", ()), ("purpose", ("HOPERAT", "TREAT"))}


@pytest.mark.parametrize(("deny", "purposes"), [("purpose", []), ("all", ["TREAT"]),
                                                 (None, ["TREAT"])])  # fmt: skip
def test_purposes_only_with_a_research_or_purpose_denial(deny: Any, purposes: list[str]) -> None:
    with pytest.raises(ValueError, match="purposes"):
        consent_resource("c", "Patient/p", deny, "2026-01-01", purposes)


def test_the_consent_resource_validates_as_r4() -> None:
    from fhir.resources.R4B.consent import Consent

    Consent.model_validate(consent_resource("c-1", "Patient/p", "research", "2026-01-01T00:00:00Z"))


@pytest.mark.parametrize(
    ("principal", "purpose", "standing", "glass", "consents", "over", "expected"),
    [
        (RESEARCHER, "HRESCH", None, None, [RESEARCH], True, (False, "consent-denied", RESEARCH)),
        (CLINICIAN, "HRESCH", "grant", None, [RESEARCH], True, (False, "consent-denied", RESEARCH)),
        (CLINICIAN, "TREAT", "grant", None, [RESEARCH], True, (True, "grant", None)),
        (RESEARCHER, "HRESCH", None, "urgent", [RESEARCH], True,
         (False, "consent-denied", RESEARCH)),
        (CLINICIAN, "TREAT", "grant", None, [ALL], True, (False, "consent-denied", ALL)),
        (CLINICIAN, "ETREAT", "grant", "coding in ED", [ALL], True,
         (True, "break-glass-over-consent", ALL)),
        (CLINICIAN, "ETREAT", None, "coding in ED", [ALL], False, (False, "consent-denied", ALL)),
        (CLINICIAN, "ETREAT", None, "coding in ED", [RESEARCH, ALL], True,
         (True, "break-glass-over-consent", ALL)),
        (CLINICIAN, "TREAT", None, None, [ALL], True, (False, "no-relationship", None)),
        (CLINICIAN, "TREAT", "care-team", None, [], True, (True, "care-team", None)),
        (CLINICIAN, "HOPERAT", "grant", None, [HOPERAT_ONLY], True,
         (False, "consent-denied", HOPERAT_ONLY)),
        (CLINICIAN, "TREAT", "grant", None, [HOPERAT_ONLY], True, (True, "grant", None)),
        (RESEARCHER, "HRESCH", None, None, [HOPERAT_ONLY], True,
         (True, "pseudonymous-only", None)),
        (CLINICIAN, "HOPERAT", "grant", "coding in OR", [HOPERAT_ONLY, ALL], True,
         (True, "break-glass-over-consent", ALL)),
    ],
)  # fmt: skip
def test_consent_after_the_policy_table(
    principal: Principal,
    purpose: str,
    standing: Any,
    glass: str | None,
    consents: list[ConsentDeny],
    over: bool,
    expected: tuple[bool, str, ConsentDeny | None],
) -> None:
    decision = decide(
        principal, purpose, standing, glass, consents=consents, break_glass_over_consent=over
    )
    allowed, reason, consent = expected
    assert (decision.allowed, decision.reason, decision.consent) == (
        allowed, Reason(reason), None if consent is None else consent.consent,
    )  # fmt: skip
    assert decision.break_glass == (reason == "break-glass-over-consent")
    assert not decision.reidentify or allowed
