"""``clinvault access``: principals, roles and grants (care teams come from ingestion)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from clinvault.access import AccessStore, Role
from clinvault.cli.context import err, load_settings, reported_errors

EXIT_NO_SUCH_GRANT = 1

User = Annotated[str, typer.Option("--user", help="user name as the identity provider issues it")]
Patient = Annotated[
    str, typer.Option("--patient", help="source patient reference or id: Patient/abc or abc")
]


def register(app: typer.Typer) -> None:
    access = typer.Typer(help="Principals, roles and grants.", no_args_is_help=True)
    access.command("add-user")(add_user)
    access.command("grant")(grant)
    access.command("revoke")(revoke)
    access.command("list")(list_users)
    app.add_typer(access, name="access")


def add_user(
    user: User,
    role: Annotated[Role, typer.Option("--role", help="what the user may do")],
    practitioner: Annotated[
        str | None,
        typer.Option(help="the FHIR Practitioner this user is (care-team access)"),
    ] = None,
) -> None:
    """Register a user with a role and, for clinicians, their Practitioner reference."""
    with reported_errors(), _store() as store:
        principal = store.add_user(user, role.value, practitioner)
    typer.echo(f"added {principal.name} ({principal.role.value})")


def grant(user: User, patient: Patient) -> None:
    """Let a clinician see a patient re-identified (works before or after ingestion)."""
    with reported_errors(), _store() as store:
        created = store.grant(user, patient)
    typer.echo("granted" if created else "already granted")


def revoke(user: User, patient: Patient) -> None:
    """Remove a grant; exit 1 if there was none."""
    with reported_errors(), _store() as store:
        removed = store.revoke(user, patient)
    if not removed:
        err.print("[red]error:[/red] no such grant")
        raise typer.Exit(EXIT_NO_SUCH_GRANT)
    typer.echo("revoked")


def list_users(
    user: Annotated[str | None, typer.Option("--user", help="show this user's grants")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List users (role, practitioner, grant count), or one user's granted patients."""
    with reported_errors(), _store() as store:
        if user is not None:
            if store.principal(user) is None:
                err.print("[red]error:[/red] no such user")
                raise typer.Exit(1)
            patients = store.granted_patients(user)
            typer.echo(json.dumps(patients) if as_json else "\n".join(patients))
            return
        rows = [
            {
                "user": s.principal.name,
                "role": s.principal.role.value,
                "practitioner": s.principal.practitioner,
                "grants": s.grants,
            }
            for s in store.users()
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['user']}\t{row['role']}\t{row['practitioner'] or '-'}\t{row['grants']}")


@contextmanager
def _store() -> Iterator[AccessStore]:
    from clinvault.runtime import Runtime

    with Runtime.open(load_settings()) as runtime:
        yield runtime.access_store
