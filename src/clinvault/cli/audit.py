"""``clinvault audit``: verify the hash chain, show records, list break-glass accesses.

Questions and break-glass reasons stay encrypted unless ``--as-user`` names a principal with
the ``auditor`` role; each such reveal is itself appended to the log. ``--as-user`` is the
operator's claim: this command runs with direct access to the key and the databases.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from clinvault.access import Principal
from clinvault.audit import AuditHead, AuditLog, AuditRecord
from clinvault.cli.context import err, load_settings, reported_errors
from clinvault.settings import Settings

EXIT_BROKEN = 1
EXIT_NOT_FOUND = 1

AsUser = Annotated[
    str | None, typer.Option("--as-user", help="act as this principal (auditors see questions)")
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)
    audit.command("verify")(verify)
    audit.command("head")(head)
    audit.command("show")(show)
    audit.command("list")(list_records)
    audit.command("break-glass")(break_glass)
    app.add_typer(audit, name="audit")


def verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="externally kept head COUNT:SHA256 (from `clinvault audit head`)"),
    ] = None,
) -> None:
    """Check the whole hash chain; exit 0 when intact, 1 naming the first bad record."""
    with reported_errors(), _audit_log(load_settings()) as log:
        try:
            expected = None if anchor is None else AuditHead.parse(anchor)
        except ValueError as exc:
            err.print(f"[red]error:[/red] --anchor: {exc}")
            raise typer.Exit(2) from None
        result = log.verify(expected)
        if result.ok:
            typer.echo(f"audit log intact: {result.checked} records")
            return
        where = "" if result.first_bad_seq is None else f" at record {result.first_bad_seq}"
        err.print(f"[red]audit log BROKEN{where}:[/red] {result.reason}")
        raise typer.Exit(EXIT_BROKEN)


def head() -> None:
    """Print the chain head COUNT:SHA256; keep it somewhere the database admins cannot write."""
    with reported_errors(), _audit_log(load_settings()) as log:
        typer.echo(str(log.head()))


def show(
    response_id: Annotated[str, typer.Argument(help="the response id (RSP-…)")],
    as_json: AsJson = False,
    as_user: AsUser = None,
) -> None:
    """Show one record; the question is decrypted only for auditors."""
    settings = load_settings()
    with reported_errors(), _audit_log(settings) as log:
        record = log.get(response_id)
        if record is None:
            err.print("[red]error:[/red] no audit record has that response id")
            raise typer.Exit(EXIT_NOT_FOUND)
        view = _disclosed(log, record, _viewer(settings, as_user))
        _print([view], as_json, single=True)


def list_records(
    limit: Annotated[int, typer.Option(min=1, help="most recent records to show")] = 20,
    as_json: AsJson = False,
) -> None:
    """List the most recent records (newest first), questions withheld."""
    with reported_errors(), _audit_log(load_settings()) as log:
        _print([_withheld(r, "not-requested") for r in log.recent(limit)], as_json)


def break_glass(as_json: AsJson = False, as_user: AsUser = None) -> None:
    """List every break-glass access; reasons are decrypted only for auditors."""
    settings = load_settings()
    with reported_errors(), _audit_log(settings) as log:
        viewer = _viewer(settings, as_user)
        _print([_disclosed(log, r, viewer) for r in log.break_glass_records()], as_json)


# Helpers ---------------------------------------------------------------------------------------


@contextmanager
def _audit_log(settings: Settings) -> Iterator[AuditLog]:
    from clinvault.runtime import Runtime

    with Runtime.open(settings) as runtime:
        yield runtime.audit_log


def _viewer(settings: Settings, user: str | None) -> Principal | str:
    """The acting principal, or the code saying why there is none."""
    if user is None:
        return "no-principal"
    from clinvault.runtime import Runtime

    with Runtime.open(settings) as runtime:
        principal = runtime.access_store.principal(user)
    return principal or "unknown-principal"


def _disclosed(log: AuditLog, record: AuditRecord, viewer: Principal | str) -> dict[str, Any]:
    if isinstance(viewer, str):
        return _withheld(record, viewer)
    if viewer.role != "auditor" and viewer.name != record.principal:
        return _withheld(record, "role-not-permitted")
    revealed = log.reveal(record, viewer)
    view = record.public_dict()
    view.update(
        question=revealed.question,
        question_encrypted=False,
        break_glass_reason=revealed.break_glass_reason,
        break_glass_reason_encrypted=False,
        revealed_in=revealed.view_record.response_id,
    )
    return view


def _withheld(record: AuditRecord, why: str) -> dict[str, Any]:
    view = record.public_dict()
    view.update(question=None, break_glass_reason=None, withheld=why)
    return view


def _print(views: list[dict[str, Any]], as_json: bool, *, single: bool = False) -> None:
    """JSON (an object for ``show``, an array otherwise) or one tab-separated line per record."""
    if as_json:
        typer.echo(json.dumps(views[0] if single else views, indent=2, ensure_ascii=False))
        return
    columns = ("seq", "time", "kind", "principal", "purpose", "patient", "outcome", "reason")
    for view in views:
        typer.echo("\t".join(str(view[c]) for c in (*columns, "response_id")))
        if view.get("question") is not None:
            typer.echo(f"\tquestion: {view['question']}")
        if view.get("break_glass_reason") is not None:
            typer.echo(f"\tbreak-glass reason: {view['break_glass_reason']}")
