"""The vault service's own checks: who may see an answer re-identified, and what a prompt holds.

:class:`RevealGate` is the vault's half of the trust boundary (issue 15). A caller (the API)
asks to re-identify an answer for a person: the request names the answer's response id,
the principal, their role, the purpose and the patient. The gate does not take the
caller's word for the decision: it looks the principal up in the access store, reads the
patient's Consent from the vault, applies :func:`clinvault.access.decision.decide` itself,
and appends an ``access`` record to the vault's own audit chain before anything is revealed
(reason ``reidentify-<decision reason>``, ``related_response_id`` = the answer's id,
``client`` = the calling service). A refusal is audited and raised as ``AccessDenied``.
The allowed record's reference (``vault:<seq>:<hash>``) goes back to the caller, whose
``ask`` audit record keeps it (``vault_audit_ref``). A streamed answer is re-identified piece
by piece: every piece is checked again, but one response id is audited once (while its
person, role, purpose and patient stay the same).

:func:`consent_denials` and :func:`screen_prompt` let the API process work without the
patient's real values: the denials are plain codes and resource tokens; the screen answers
only the kind of hit and the message index, never the value that hit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from clinvault.access import AccessStore, Principal, Role
from clinvault.access.consent import consent_denies
from clinvault.access.decision import Decision, decide
from clinvault.access.principal import USER_NAME
from clinvault.ask.deny_values import deny_values
from clinvault.audit import AuditEvent, AuditLog
from clinvault.audit.event import PLAIN_LABEL, RESPONSE_ID
from clinvault.errors import AccessDenied
from clinvault.llm import EgressGuard, Message
from clinvault.vault import Vault
from clinvault.vault.client import RevealRequest

INVALID = "invalid-user-name"
"""Recorded as the principal when a presented name is not well formed (as the API does)."""

REVEALS_REMEMBERED = 4096
"""Response ids whose allowed re-identification is remembered (so a stream is audited once)."""


@dataclass
class RevealGate:
    """Authorizes and audits re-identification in the vault service (see the module)."""

    vault: Vault
    store: AccessStore
    audit: AuditLog
    break_glass_over_consent: bool = True
    _allowed: OrderedDict[tuple[str, str], tuple[tuple[str | None, ...], str]] = field(
        default_factory=OrderedDict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def authorize(self, caller: str, patient_token: str, request: RevealRequest) -> str:
        """The vault audit reference of an allowed re-identification; ``AccessDenied``
        (after an audit record) otherwise."""
        with self._lock:
            return self._authorize(caller, patient_token, request)

    def _authorize(self, caller: str, patient_token: str, request: RevealRequest) -> str:
        if not RESPONSE_ID.fullmatch(request.response_id):
            self._refuse(caller, patient_token, request, None, "invalid-request")
        patient_ref = self.vault.source_patient(patient_token)
        if patient_ref is None:
            self._refuse(caller, None, request, None, "unknown-patient")
        if self.vault.is_erased(patient_token):
            self._refuse(caller, patient_token, request, None, "patient-erased")
        principal = (
            self.store.principal(request.principal)
            if USER_NAME.fullmatch(request.principal)
            else None
        )
        if principal is not None and principal.role.value != request.role:
            self._refuse(caller, patient_token, request, None, "role-mismatch")
        decision = decide(
            principal,
            request.purpose,
            None if principal is None else self._standing(principal, patient_ref),
            request.break_glass_reason,
            consents=consent_denies(
                self.vault.consent_resources(patient_token), self.vault.resource_token
            ),
            break_glass_over_consent=self.break_glass_over_consent,
        )
        if not (decision.allowed and decision.reidentify):
            self._refuse(caller, patient_token, request, decision, decision.reason.value)
        key = (caller, request.response_id)
        same = (patient_token, request.principal, request.role, request.purpose, decision.reason)
        remembered = self._allowed.get(key)
        if remembered is not None and remembered[0] == same:
            self._allowed.move_to_end(key)
            return remembered[1]
        record = self.audit.append(
            _event(caller, patient_token, request, decision, "allowed", decision.reason.value)
        )
        ref = f"vault:{record.seq}:{record.hash}"
        self._allowed[key] = (same, ref)
        while len(self._allowed) > REVEALS_REMEMBERED:
            self._allowed.popitem(last=False)
        return ref

    def _standing(
        self, principal: Principal, patient_ref: str
    ) -> Literal["grant", "care-team"] | None:
        if principal.role != Role.CLINICIAN:
            return None
        if self.store.has_grant(principal.name, patient_ref):
            return "grant"
        if principal.practitioner and self.store.in_care_team(principal.practitioner, patient_ref):
            return "care-team"
        return None

    def _refuse(
        self,
        caller: str,
        patient_token: str | None,
        request: RevealRequest,
        decision: Decision | None,
        reason: str,
    ) -> NoReturn:
        self.audit.append(_event(caller, patient_token, request, decision, "refused", reason))
        raise AccessDenied(f"reidentify-{reason}", f"the vault refused to re-identify: {reason}")


def _event(
    caller: str,
    patient_token: str | None,
    request: RevealRequest,
    decision: Decision | None,
    outcome: Literal["allowed", "refused"],
    reason: str,
) -> AuditEvent:
    break_glass = decision is not None and decision.break_glass and outcome == "allowed"
    return AuditEvent(
        kind="access",
        principal=request.principal if USER_NAME.fullmatch(request.principal) else INVALID,
        outcome=outcome,
        reason=f"reidentify-{reason}",
        role=request.role if PLAIN_LABEL.fullmatch(request.role) else None,
        purpose=request.purpose if USER_NAME.fullmatch(request.purpose) else None,
        patient=patient_token,
        break_glass=break_glass,
        break_glass_reason=request.break_glass_reason if break_glass else None,
        related_response_id=(
            request.response_id if RESPONSE_ID.fullmatch(request.response_id) else None
        ),
        client=caller,
    )


def consent_denials(vault: Vault, patient_token: str) -> list[list[str | list[str]]]:
    """``[[scope, consent resource token, [purpose codes]], ...]`` of the patient's Consent
    denials (the codes only for scope ``purpose``)."""
    if not vault.has_patient(patient_token):
        return []
    denies = consent_denies(vault.consent_resources(patient_token), vault.resource_token)
    return [[deny.scope, deny.consent, list(deny.purposes)] for deny in denies]


def screen_prompt(vault: Vault, patient_token: str, messages: Any) -> dict[str, Any] | None:
    """The egress guard over ``messages`` with the patient's deny values, here in the vault:
    ``{"kind", "message_index"}`` of the first hit, or ``None``. Never the value."""
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise TypeError("messages must be a list of objects")
    checked: Sequence[Message] = messages
    hit = EgressGuard().first_hit(checked, deny_values=deny_values(vault, patient_token))
    return None if hit is None else {"kind": hit.kind, "message_index": hit.message_index}
