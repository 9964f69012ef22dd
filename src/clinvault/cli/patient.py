"""``clinvault patient erase``: the right to erasure, by crypto-shredding.

Erasing a patient reaches every store that holds anything of it:

* the vector index: every point of the patient token is deleted, then the index is
  optimized so deleted points leave its segments;
* the vault: the wrapped data key (so every sealed resource, token value and date offset of
  the patient becomes unreadable, in every backup too), its rows, its look-ups and its
  quarantined inputs; SQLite then runs ``VACUUM`` (``secure_delete`` is on) so the freed pages
  leave the file. The patient token is remembered as erased: re-ingest is refused unless
  ``clinvault ingest --allow-reingest``;
* the access store: grants (which hold the patient's reference sealed) and care-team links;
* the audit log keeps its records (patient tokens only, never a source reference) and gains
  one ``admin`` record, reason ``patient-erased``, purpose the operator's reason code.

The command acts as the operator (it holds the key and the databases); ``--operator`` names
who ran it for the audit record. Caches: the API server keeps conversations in memory (ids
and tokens only, no text) and re-reads the vault per request, so an erased patient gets the
``patient-erased`` refusal there too; nothing of the patient is cached on disk.
"""

from __future__ import annotations

from typing import Annotated

import typer

from clinvault.access.refs import patient_reference
from clinvault.audit import AuditEvent
from clinvault.audit.event import REASON_CODE
from clinvault.cli.context import err, load_settings, out, reported_errors
from clinvault.errors import InputError

EXIT_UNKNOWN_PATIENT = 1

Patient = Annotated[
    str, typer.Option("--patient", help="source patient reference or id: Patient/abc or abc")
]
Operator = Annotated[
    str, typer.Option("--operator", help="who runs the command (written to the audit record)")
]


def register(app: typer.Typer) -> None:
    patient = typer.Typer(help="Patient lifecycle: erasure.", no_args_is_help=True)
    patient.command("erase")(erase)
    app.add_typer(patient, name="patient")


def erase(
    patient: Patient,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="why, as a code (e.g. patient-request, legal-order): lowercase, digits, '-'",
        ),
    ],
    operator: Operator = "operator",
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase a patient from the vault, the index and the access store (irreversible)."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors():
        if not REASON_CODE.fullmatch(reason):
            raise InputError("--reason must be a code: lowercase letters, digits and '-'")
        reference = patient_reference(patient)
        with Runtime.open(settings) as runtime:
            vault = runtime.vault
            token = vault.patient_token(reference)
            if vault.is_erased(token):  # a finished erasure, or one interrupted after the vault
                runtime.index.delete_patient(token)
                runtime.access_store.forget_patient(reference)
                out.print(f"{token} was already erased")
                return
            if not vault.has_patient(token):
                err.print("[red]error:[/red] no such patient in the vault")
                raise typer.Exit(EXIT_UNKNOWN_PATIENT)
            if not yes:
                typer.confirm(f"erase {token} for good?", abort=True)
            # the vault goes last: until it is erased, running the command again redoes it all
            points = runtime.index.delete_patient(token)
            runtime.index.optimize()
            links = runtime.access_store.forget_patient(reference)
            runtime.audit_log.append(
                AuditEvent(
                    kind="admin",
                    principal=operator,
                    outcome="allowed",
                    reason="patient-erased",
                    role="operator",
                    purpose=reason,
                    patient=token,
                )
            )
            rows = vault.erase(token)
    out.print(
        f"erased {token}: {rows} vault rows (data key destroyed), {points} index points, "
        f"{links} grants and care-team links; audit records kept"
    )
