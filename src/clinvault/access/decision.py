"""The access policy as one pure function: who may ask about a patient, and see names.

======================  ========================  =========  ===========  ======================
principal               purpose                   allowed    reidentify   reason
======================  ========================  =========  ===========  ======================
unknown                 any                       no         no           unknown-principal
any                     not a known code          no         no           purpose-not-permitted
auditor                 any                       no         no           role-not-permitted
researcher              any known                 yes        no           pseudonymous-only
clinician               HRESCH                    yes        no           pseudonymous-only
clinician + grant       TREAT, ETREAT, HOPERAT    yes        yes          grant
clinician + care team   TREAT, ETREAT, HOPERAT    yes        yes          care-team
clinician, break-glass  TREAT, ETREAT, HOPERAT    yes        yes          break-glass (flagged)
clinician, blank reason TREAT, ETREAT, HOPERAT    no         no           break-glass-reason-required
clinician               TREAT, ETREAT, HOPERAT    no         no           no-relationship
======================  ========================  =========  ===========  ======================

A standing relationship wins over break-glass: the access is then not flagged.

Then the patient's consent (:mod:`clinvault.access.consent`), for an access the table allows:
a denial of research refuses research use (``consent-denied``; break-glass never overrides
it); a denial of all use, or of the purpose asked for, refuses (``consent-denied``), except
that a clinician's break-glass for treatment overrides it when the policy allows
(``break-glass-over-consent``, flagged). Either way the decision names the Consent (its resource token) for the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from clinvault.access.consent import ConsentDeny, applicable
from clinvault.access.principal import TREATMENT_PURPOSES, Principal, Purpose, Role

Relationship = Literal["grant", "care-team", "break-glass"]


class Reason(StrEnum):
    """Stable reason codes (they appear in audit records and API errors)."""

    GRANT = "grant"
    CARE_TEAM = "care-team"
    BREAK_GLASS = "break-glass"
    PSEUDONYMOUS_ONLY = "pseudonymous-only"
    UNKNOWN_PRINCIPAL = "unknown-principal"
    ROLE_NOT_PERMITTED = "role-not-permitted"
    PURPOSE_NOT_PERMITTED = "purpose-not-permitted"
    NO_RELATIONSHIP = "no-relationship"
    BREAK_GLASS_REASON_REQUIRED = "break-glass-reason-required"
    CONSENT_DENIED = "consent-denied"
    BREAK_GLASS_OVER_CONSENT = "break-glass-over-consent"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reidentify: bool
    reason: Reason
    relationship: Relationship | None
    purpose: str
    role: Role | None
    break_glass_reason: str | None = None
    """Set only when the access was granted by break-glass; free text, audited encrypted."""
    audit_response_id: str | None = None
    """The audit record of this decision, once written."""
    consent: str | None = None
    """Resource token of the Consent that refused this access, or that break-glass overrode."""

    @property
    def break_glass(self) -> bool:
        return self.relationship == "break-glass"


def decide(
    principal: Principal | None,
    purpose: str,
    standing: Literal["grant", "care-team"] | None,
    break_glass_reason: str | None = None,
    *,
    consents: Sequence[ConsentDeny] = (),
    break_glass_over_consent: bool = True,
) -> Decision:
    """Apply the policy table above, then the patient's consent (see the module docstring);
    ``standing`` is the principal's relationship, if any."""
    decision = _decide_role(principal, purpose, standing, break_glass_reason)
    if not decision.allowed or principal is None:
        return decision
    research_use = decision.reason == Reason.PSEUDONYMOUS_ONLY
    deny = applicable(consents, purpose, research_use=research_use)
    if deny is None:
        return decision
    reason = (break_glass_reason or "").strip()
    if (
        deny.scope != "research"
        and not research_use
        and reason
        and break_glass_over_consent
        and purpose in TREATMENT_PURPOSES
    ):
        return Decision(
            True,
            True,
            Reason.BREAK_GLASS_OVER_CONSENT,
            "break-glass",
            purpose,
            decision.role,
            break_glass_reason,
            consent=deny.consent,
        )
    return Decision(
        False, False, Reason.CONSENT_DENIED, None, purpose, decision.role, consent=deny.consent
    )


def _decide_role(
    principal: Principal | None,
    purpose: str,
    standing: Literal["grant", "care-team"] | None,
    break_glass_reason: str | None = None,
) -> Decision:
    role = principal.role if principal else None

    def refuse(reason: Reason) -> Decision:
        return Decision(False, False, reason, None, purpose, role)

    if principal is None:
        return refuse(Reason.UNKNOWN_PRINCIPAL)
    if purpose not in set(Purpose):
        return refuse(Reason.PURPOSE_NOT_PERMITTED)
    if principal.role == Role.RESEARCHER or (
        principal.role == Role.CLINICIAN and purpose == Purpose.HRESCH
    ):
        return Decision(True, False, Reason.PSEUDONYMOUS_ONLY, None, purpose, role)
    if principal.role != Role.CLINICIAN or purpose not in TREATMENT_PURPOSES:
        return refuse(Reason.ROLE_NOT_PERMITTED)
    if standing is not None:
        return Decision(True, True, Reason(standing), standing, purpose, role)
    if break_glass_reason is not None:
        if not break_glass_reason.strip():
            return refuse(Reason.BREAK_GLASS_REASON_REQUIRED)
        return Decision(
            True, True, Reason.BREAK_GLASS, "break-glass", purpose, role, break_glass_reason
        )
    return refuse(Reason.NO_RELATIONSHIP)
