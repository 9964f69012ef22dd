"""``clinvault consent set|show``: a patient's opt-out, for hospitals without a Consent feed.

``set`` seals a FHIR R4 ``Consent`` in the patient's vault record (one per patient, replaced
by the next ``set``; ``--deny none`` makes it inactive), exactly like a Consent that came in
through ingest, so asks honour both the same way (see :mod:`clinvault.access.consent`).
``--purpose CODE`` (repeatable, a PurposeOfUse code clinvault knows) narrows ``--deny all``
to those purposes of use, or adds them to ``--deny research``. The change is audited
(``admin``, reason ``consent-set``, purpose the denied scope and codes, the Consent named by
its resource token).
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
from clinvault.access.principal import Purpose
from clinvault.access.refs import patient_reference
from clinvault.audit import AuditEvent, Citation
from clinvault.cli.context import err, load_settings, out, reported_errors

EXIT_UNKNOWN_PATIENT = 1
EXIT_BAD_OPTIONS = 2

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
    consent = typer.Typer(
        help="Patient consent: deny research use, some purposes of use, or all use.",
        no_args_is_help=True,
    )
    consent.command("set")(set_consent)
    consent.command("show")(show)
    app.add_typer(consent, name="consent")


def set_consent(
    patient: Patient,
    deny: Annotated[Deny, typer.Option("--deny", help="research, all, or none (withdraw)")],
    purpose: Annotated[
        list[Purpose] | None,
        typer.Option(
            "--purpose",
            help="deny only these purposes of use (with --deny all), or these as well (with "
            "--deny research); repeatable",
        ),
    ] = None,
    operator: Annotated[
        str, typer.Option("--operator", help="who runs the command (written to the audit record)")
    ] = "operator",
) -> None:
    """Record the patient's denial of research use, of purposes of use, or of all use (or
    withdraw it)."""
    purposes = tuple(sorted({code.value for code in purpose or ()}))
    if purposes and deny is Deny.none:
        err.print("[red]error:[/red] --purpose names what to deny; it cannot go with --deny none")
        raise typer.Exit(EXIT_BAD_OPTIONS)
    scope: ConsentScope | None = "purpose" if purposes and deny is Deny.all else SCOPES[deny]
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
        resource = consent_resource(consent_id, reference, scope, _now(), purposes)
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
                purpose=_denied(deny, purposes),
                patient=token,
                citations=(Citation(CONSENT_CHUNK_ID, consent_token),),
            )
        )
    out.print(f"{token}: {_denied(deny, purposes)} ({consent_token})")


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
    table.add_column("purposes")
    table.add_column("consent")
    for item in denies:
        table.add_row(item.scope, " ".join(item.purposes), item.consent)
    out.print(table if denies else f"{token}: no denial on record")


def _denied(deny: Deny, purposes: tuple[str, ...]) -> str:
    """``deny-research``, ``deny-all``, ``deny-none``, or with purposes ``deny-HOPERAT+TREAT``
    (``deny-research+HOPERAT`` when research is denied too)."""
    if not purposes:
        return f"deny-{deny.value}"
    codes = "+".join(purposes)
    return f"deny-research+{codes}" if deny is Deny.research else f"deny-{codes}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
