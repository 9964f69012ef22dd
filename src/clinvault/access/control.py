"""Authorization with the audit built in: every decision, allowed or refused, is logged.

:meth:`AccessControl.authorize` is the one entry point for "may this user ask about this
patient, and see names?". It looks up the principal and their relationship to the patient,
applies :func:`clinvault.access.decision.decide`, and appends an ``access`` record to the
audit log *before* returning, so a caller cannot act on a decision that was not audited.
Callers that decide by other means use :func:`audit_decision` directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from clinvault.access.consent import ConsentDeny
from clinvault.access.decision import Decision, decide
from clinvault.access.principal import USER_NAME, Principal, Role
from clinvault.access.store import AccessStore
from clinvault.audit import AuditEvent, AuditLog, AuditRecord, Citation

INVALID_USER_NAME = "invalid-user-name"
"""Recorded as the principal when a presented user name is not a well-formed name."""


class AccessControl:
    def __init__(
        self, store: AccessStore, audit_log: AuditLog, *, break_glass_over_consent: bool = True
    ) -> None:
        """``break_glass_over_consent``: may a clinician's break-glass for treatment override
        a patient's denial of all use (settings ``access.break_glass_over_consent``)."""
        self._store = store
        self._audit = audit_log
        self._break_glass_over_consent = break_glass_over_consent

    def authorize(
        self,
        user: str,
        patient_ref: str,
        purpose: str,
        *,
        patient_token: str,
        break_glass_reason: str | None = None,
        response_id: str | None = None,
        consents: Sequence[ConsentDeny] = (),
    ) -> Decision:
        """Decide and audit. ``consents``: the patient's denials (read before retrieval). ``patient_token`` is the vault's ``PT-…`` for ``patient_ref``.

        ``break_glass_reason`` requests emergency access (clinicians, treatment purposes);
        it is honoured only without a standing relationship, and then flagged in the audit.
        """
        principal = self._store.principal(user) if USER_NAME.fullmatch(user) else None
        standing = None if principal is None else self._standing(principal, patient_ref)
        decision = decide(
            principal,
            purpose,
            standing,
            break_glass_reason,
            consents=consents,
            break_glass_over_consent=self._break_glass_over_consent,
        )
        record = audit_decision(self._audit, user, patient_token, decision, response_id=response_id)
        return replace(decision, audit_response_id=record.response_id)

    def _standing(
        self, principal: Principal, patient_ref: str
    ) -> Literal["grant", "care-team"] | None:
        if principal.role != Role.CLINICIAN:
            return None
        if self._store.has_grant(principal.name, patient_ref):
            return "grant"
        if principal.practitioner and self._store.in_care_team(principal.practitioner, patient_ref):
            return "care-team"
        return None


def audit_decision(
    audit_log: AuditLog,
    principal: str,
    patient_token: str | None,
    decision: Decision,
    *,
    response_id: str | None = None,
) -> AuditRecord:
    """Append one ``access`` record for ``decision`` (outcome ``allowed`` or ``refused``)."""
    return audit_log.append(
        AuditEvent(
            kind="access",
            principal=principal if USER_NAME.fullmatch(principal) else INVALID_USER_NAME,
            role=None if decision.role is None else decision.role.value,
            purpose=decision.purpose if USER_NAME.fullmatch(decision.purpose) else None,
            patient=patient_token,
            outcome="allowed" if decision.allowed else "refused",
            reason=decision.reason.value,
            break_glass=decision.break_glass,
            break_glass_reason=decision.break_glass_reason,
            response_id=response_id,
            citations=consent_citation(decision),
        )
    )


CONSENT_CHUNK_ID = "consent"
"""The ``chunk_id`` of the citation that names a decision's Consent in audit records."""


def consent_citation(decision: Decision) -> tuple[Citation, ...]:
    """The Consent that refused (or that break-glass overrode) as an audit citation."""
    if decision.consent is None:
        return ()
    return (Citation(CONSENT_CHUNK_ID, decision.consent),)
