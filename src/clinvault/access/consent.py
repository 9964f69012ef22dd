"""Patient consent (FHIR R4 ``Consent``): which uses of the record the patient denied.

A patient's Consent resources come from ingest (sealed in the vault like any resource) or
from ``clinvault consent set``, which seals one built here (:func:`consent_resource`). At ask
time, before anything is retrieved, the ask service reads them and the access decision
applies them (:func:`clinvault.access.decision.decide`):

=====================  =======================================  ==========================
denied scope           refused                                  break-glass
=====================  =======================================  ==========================
``research``           research use: researchers, HRESCH        never overrides
``purpose``            the named PurposeOfUse codes (e.g.       as for ``all``, for the
                       ``HOPERAT``, ``TREAT``), any principal   named purposes
``all``                every purpose                            overrides for treatment
                                                                when the policy allows
                                                                (``access.break_glass_over
                                                                _consent``), flagged
=====================  =======================================  ==========================

How a Consent is read (R4): only ``status`` ``active``; its base ``provision``. A base
provision of type ``deny`` denies what its ``purpose`` codes name (``HRESCH`` -> research;
any other code -> that purpose; no purpose -> all); a ``permit`` base with nested ``deny``
provisions denies the purposes they name the same way (a nested ``deny`` naming no purpose
denies all). A Consent whose ``scope`` is ``research`` with a ``deny`` base denies research.
A provision with a ``period`` not covering today, actors, data or classes narrows the rule in
ways clinvault does not model; such provisions are treated as applying (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

ConsentScope = Literal["research", "purpose", "all"]
SCOPES: tuple[ConsentScope, ...] = ("research", "purpose", "all")
RESEARCH_PURPOSES = frozenset({"HRESCH"})
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


@dataclass(frozen=True, slots=True)
class ConsentDeny:
    """One denial: its scope and the resource token (``RES-…``) of the Consent saying it."""

    scope: ConsentScope
    consent: str
    purposes: tuple[str, ...] = ()
    """For scope ``purpose``: the PurposeOfUse codes denied (sorted); empty otherwise."""

    def covers(self, purpose: str, *, research_use: bool) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "research":
            return research_use or purpose in RESEARCH_PURPOSES
        return purpose in self.purposes


def _codes(codings: Any) -> set[str]:
    if not isinstance(codings, list):
        return set()
    return {str(c.get("code")) for c in codings if isinstance(c, Mapping) and c.get("code")}


def _scope_codes(consent: Mapping[str, Any]) -> set[str]:
    scope = consent.get("scope")
    return _codes(scope.get("coding")) if isinstance(scope, Mapping) else set()


Denial = tuple[ConsentScope, tuple[str, ...]]
"""One denial a Consent states: its scope and, for ``purpose``, the codes it names."""


def _provision_denials(provision: Mapping[str, Any], research_scope: bool) -> set[Denial]:
    """What one ``deny`` provision denies, by its purpose codes."""
    purposes = _codes(provision.get("purpose"))
    found: set[Denial] = set()
    if research_scope or purposes & RESEARCH_PURPOSES:
        found.add(("research", ()))
    if other := purposes - RESEARCH_PURPOSES:
        found.add(("purpose", tuple(sorted(other))))
    if not purposes and not research_scope:
        found.add(("all", ()))
    return found


def denials(consent: Mapping[str, Any]) -> set[Denial]:
    """What one FHIR Consent denies (empty when it denies nothing or is not active)."""
    if consent.get("resourceType") != "Consent" or consent.get("status") != "active":
        return set()
    base = consent.get("provision")
    if not isinstance(base, Mapping):
        return set()
    found: set[Denial] = set()
    if base.get("type") == "deny":
        found |= _provision_denials(base, "research" in _scope_codes(consent))
    nested = base.get("provision")
    for child in nested if isinstance(nested, list) else []:
        if isinstance(child, Mapping) and child.get("type") == "deny":
            found |= _provision_denials(child, research_scope=False)
    return found


def denied_scopes(consent: Mapping[str, Any]) -> set[ConsentScope]:
    """The scopes one FHIR Consent denies (see :func:`denials` for the purposes)."""
    return {scope for scope, _ in denials(consent)}


def consent_denies(
    consents: Iterable[Mapping[str, Any]], resource_token: Callable[[str], str]
) -> list[ConsentDeny]:
    """The denials of a patient's Consent resources; ``resource_token`` names each Consent."""
    denies = []
    for consent in consents:
        for scope, purposes in sorted(denials(consent)):
            token = resource_token(f"Consent/{consent.get('id')}")
            denies.append(ConsentDeny(scope, token, purposes))
    return denies


def applicable(
    denies: Sequence[ConsentDeny], purpose: str, *, research_use: bool
) -> ConsentDeny | None:
    """The denial that applies to this use, ``all`` before ``purpose`` before ``research``;
    else ``None``."""
    ordered = sorted(denies, key=lambda d: (-SCOPES.index(d.scope), d.consent))
    return next((d for d in ordered if d.covers(purpose, research_use=research_use)), None)


def consent_resource(
    consent_id: str,
    patient_ref: str,
    deny: ConsentScope | None,
    date_time: str,
    purposes: Sequence[str] = (),
) -> dict[str, Any]:
    """The R4 Consent that ``clinvault consent set`` seals: ``deny`` research, the given
    ``purposes`` (scope ``purpose``) or all, or ``None`` (the Consent is then ``inactive``:
    the earlier denial is withdrawn). Research with ``purposes`` denies both."""
    if (deny == "purpose") != bool(purposes) and deny != "research":
        raise ValueError("purposes are given with, and only with, a research or purpose denial")
    provision: dict[str, Any] = {"type": "deny"}
    codes = ["HRESCH"] if deny == "research" else []
    codes += sorted(set(purposes) - set(codes))
    if codes:
        provision["purpose"] = [{"system": PURPOSE_SYSTEM, "code": code} for code in codes]
    return {
        "resourceType": "Consent",
        "id": consent_id,
        "status": "active" if deny is not None else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": patient_ref},
        "dateTime": date_time,
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}
            ]
        },
        "provision": provision,
    }
