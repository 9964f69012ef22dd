"""``clinvault consent set|show``: a patient's opt-out, for hospitals without a Consent feed.

``set`` seals a FHIR R4 ``Consent`` in the patient's vault record (one per patient, replaced
by the next ``set``; ``--deny none`` makes it inactive), exactly like a Consent that came in
through ingest, so asks honour both the same way (see :mod:`clinvault.access.consent`). The
change is audited (``admin``, reason ``consent-set``, purpose the denied scope, the Consent
named by its resource token).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

import typer
from rich.table import Table

from clinvault.access.consent import ConsentScope, consent_denies, consent_resource
from clinvault.access.control import CONSENT_CHUNK_ID
from clinvault.access.refs import patient_reference
from clinvault.audit import AuditEvent, Citation
from clinvault.cli.context import err, load_settings, out, reported_errors

EXIT_UNKNOWN_PATIENT = 1

Patient = Annotated[
    str, typer.Option("--patient", help="source patient reference or id: Patient/abc or abc")
]


class Deny(StrEnum):
    research = "research"
    all = "all"
    none = "none"


SCOPES: Mapping[Deny, ConsentScope | None] = MappingProxyType(
    {Deny.research: "research", Deny.all: "all", Deny.none: None}
)


def register(app: typer.Typer) -> None:
    consent = typer.Typer(help="Patient consent: deny research or all use.", no_args_is_help=True)
    consent.command("set")(set_consent)
    consent.command("show")(show)
    app.add_typer(consent, name="consent")


def set_consent(
    patient: Patient,
    deny: Annotated[Deny, typer.Option("--deny", help="research, all, or none (withdraw)")],
    operator: Annotated[
        str, typer.Option("--operator", help="who runs the command (written to the audit record)")
    ] = "operator",
) -> None:
    """Record the patient's denial of research use or of all use (or withdraw it)."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        reference = patient_reference(patient)
        vault = runtime.vault
        token = vault.patient_token(reference)
        if not vault.has_patient(token):
            err.print("[red]error:[/red] no such patient in the vault")
            raise typer.Exit(EXIT_UNKNOWN_PATIENT)
        consent_id = f"clinvault-optout-{token.removeprefix('PT-').lower()}"
        key = f"Consent/{consent_id}"
        scope = SCOPES[deny]
        resource = consent_resource(consent_id, reference, scope, _now())
        with vault.transaction():
            session = vault.patient_session(reference)
            session.seal(key, resource)
            session.flush()
        consent_token = vault.resource_token(key)
        runtime.audit_log.append(
            AuditEvent(
                kind="admin",
                principal=operator,
                outcome="allowed",
                reason="consent-set",
                role="operator",
                purpose=f"deny-{deny.value}",
                patient=token,
                citations=(Citation(CONSENT_CHUNK_ID, consent_token),),
            )
        )
    out.print(f"{token}: deny {deny.value} ({consent_token})")


def show(patient: Patient) -> None:
    """The patient's active denials and the Consents that say them."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        vault = runtime.vault
        token = vault.patient_token(patient_reference(patient))
        if not vault.has_patient(token):
            err.print("[red]error:[/red] no such patient in the vault")
            raise typer.Exit(EXIT_UNKNOWN_PATIENT)
        denies = consent_denies(vault.consent_resources(token), vault.resource_token)
    table = Table(title=f"consent of {token}")
    table.add_column("denied")
    table.add_column("consent")
    for item in denies:
        table.add_row(item.scope, item.consent)
    out.print(table if denies else f"{token}: no denial on record")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
