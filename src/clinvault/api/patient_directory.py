"""Which patients a principal may see listed, and how.

Clinicians see the patients they hold a grant for or whose care team they are on, with
names and references; researchers see every patient, as tokens only; auditors see none.
The vault's shared scope (Practitioners, Organizations: resources of no patient) has a
token like a patient's, and is never listed as one. Reading names opens each patient's
sealed Patient resource through ``VaultClient.reveal_record`` for the listing's response id
(a vault service authorizes each one for the clinician and audits it; a patient it refuses,
for example under a Consent denying all use, is listed without a name).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from clinvault.access import AccessStore, Principal, Role
from clinvault.api.schemas import PatientOut
from clinvault.errors import AccessDenied
from clinvault.vault import SHARED_SCOPE
from clinvault.vault.client import RevealRequest, VaultClient

LISTING_PURPOSE = "TREAT"
"""The purpose a clinician's own patient list is read for."""


def listed_patients(
    vault: VaultClient, store: AccessStore, principal: Principal, response_id: str
) -> list[PatientOut]:
    """``response_id``: the listing's audit record, named in each re-identification."""
    if principal.role == Role.RESEARCHER:
        return [
            PatientOut(patient_token=token, reference=None, name=None, relationship=None)
            for token in patient_tokens(vault)
        ]
    out = []
    for token, reference in _sources(vault):
        relationship = _relationship(store, principal, reference)
        if relationship is None:
            continue
        request = RevealRequest(response_id, principal.name, principal.role.value, LISTING_PURPOSE)
        patient = _patient_resource(vault, reference, request)
        out.append(
            PatientOut(
                patient_token=token,
                reference=reference,
                name=display_name(patient),
                birth_date=patient.get("birthDate")
                if isinstance(patient.get("birthDate"), str)
                else None,
                relationship=relationship,
            )
        )
    return sorted(out, key=lambda p: (p.name or "", p.reference or ""))


def patient_tokens(vault: VaultClient) -> list[str]:
    """The tokens of patients: every token in the vault but the shared scope's."""
    shared = vault.patient_token(SHARED_SCOPE)
    return [token for token in vault.patient_tokens() if token != shared]


def _sources(vault: VaultClient) -> Iterator[tuple[str, str]]:
    for token in patient_tokens(vault):
        reference = vault.source_patient(token)
        if reference is not None:
            yield token, reference


def _relationship(store: AccessStore, principal: Principal, reference: str) -> str | None:
    if principal.role != Role.CLINICIAN:
        return None
    if store.has_grant(principal.name, reference):
        return "grant"
    if principal.practitioner and store.in_care_team(principal.practitioner, reference):
        return "care-team"
    return None


def _patient_resource(vault: VaultClient, reference: str, request: RevealRequest) -> dict[str, Any]:
    try:
        record = vault.reveal_record(vault.resource_token(reference), request=request)
    except AccessDenied:
        return {}
    return {} if record is None else record.resource


def display_name(patient: dict[str, Any]) -> str | None:
    names = patient.get("name")
    if not isinstance(names, list) or not names or not isinstance(names[0], dict):
        return None
    name = names[0]
    if isinstance(name.get("text"), str):
        return str(name["text"])
    given = " ".join(g for g in name.get("given", []) if isinstance(g, str))
    family = name.get("family") if isinstance(name.get("family"), str) else ""
    return " ".join(part for part in (given, family) if part) or None
