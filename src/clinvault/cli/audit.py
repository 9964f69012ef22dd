"""``clinvault audit``: verify the chain, checkpoint it, show and list records, list break-glass
accesses, export the log as FHIR (AuditEvent/Provenance NDJSON) and review a patient's accesses.

Questions and break-glass reasons stay encrypted unless ``--as-user`` names a principal with
the ``auditor`` role; each such reveal is itself appended to the log. ``--as-user`` is the
operator's claim, not an authentication: this command runs as the operator, with direct access
to the key and the databases. So ``show`` and ``break-glass`` audit every such claim first,
naming the operating-system user (from the process's real uid, not the environment) as the
actor beside the claimed principal (an ``admin`` record ``cli-acting-as``; refused when no such
principal exists).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinvault.access import Principal
from clinvault.audit import AuditHead, AuditLog, AuditRecord
from clinvault.cli.context import err, load_settings, reported_errors
from clinvault.errors import VaultError
from clinvault.settings import Settings

if TYPE_CHECKING:
    from clinvault.runtime import Runtime

EXIT_BROKEN = 1
EXIT_NOT_FOUND = 1

AsUser = Annotated[
    str | None,
    typer.Option(
        "--as-user",
        help="act as this principal (auditors see questions); a claim the operator makes, not a "
        "login: the OS user running this command is audited as the actor",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)
    audit.command("verify")(verify)
    audit.command("head")(head)
    audit.command("show")(show)
    audit.command("list")(list_records)
    audit.command("break-glass")(break_glass)
    audit.command("checkpoint")(checkpoint)
    audit.command("export")(export)
    audit.command("report")(report)
    app.add_typer(audit, name="audit")


def verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="externally kept head COUNT:SHA256 (from `clinvault audit head`)"),
    ] = None,
) -> None:
    """Check the whole chain against the latest signed checkpoint (and --anchor if given);
    exit 0 when intact, 1 naming the first bad record and the failure code."""
    with reported_errors(), _audit_log(load_settings()) as log:
        try:
            expected = None if anchor is None else AuditHead.parse(anchor)
        except ValueError as exc:
            err.print(f"[red]error:[/red] --anchor: {exc}")
            raise typer.Exit(2) from None
        result = log.verify(expected)
        if result.ok:
            against = (
                ""
                if result.anchored_at is None
                else f" (consistent with the signed checkpoint at record {result.anchored_at})"
            )
            typer.echo(f"audit log intact: {result.checked} records{against}")
            return
        where = "" if result.first_bad_seq is None else f" at record {result.first_bad_seq}"
        err.print(f"[red]audit log BROKEN{where}:[/red] {result.reason}")
        raise typer.Exit(EXIT_BROKEN)


def checkpoint(
    public_key: Annotated[
        bool, typer.Option("--public-key", help="print the signing public key instead")
    ] = False,
) -> None:
    """Sign the chain head now and write it to the checkpoint log and sinks (e.g. from cron,
    or before a backup); --public-key prints the key that verifies checkpoint signatures."""
    with reported_errors(), _audit_log(load_settings()) as log:
        if public_key:
            typer.echo(base64.b64encode(log.signing_public_key).decode("ascii"))
            return
        written = log.checkpoint()
        typer.echo(f"checkpoint {written.count}:{written.last_hash} signed by key {written.key_id}")


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
        view = _disclosed(log, record, _viewer(settings, log, as_user, record.response_id))
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
        viewer = _viewer(settings, log, as_user)
        _print([_disclosed(log, r, viewer) for r in log.break_glass_records()], as_json)


# Helpers ---------------------------------------------------------------------------------------


@contextmanager
def _audit_log(settings: Settings) -> Iterator[AuditLog]:
    from clinvault.runtime import Runtime

    with Runtime.open(settings) as runtime:
        yield runtime.audit_log


def _viewer(
    settings: Settings, log: AuditLog, user: str | None, viewed: str | None = None
) -> Principal | str:
    """The principal the operator claims to act as, or the code saying why there is none.
    The claim is audited first, the OS user as the actor (see the module docstring)."""
    if user is None:
        return "no-principal"
    from clinvault.audit import AuditEvent
    from clinvault.runtime import Runtime

    with Runtime.open(settings) as runtime:
        principal = runtime.access_store.principal(user)
    log.append(
        AuditEvent(
            kind="admin",
            principal=_printable(f"os-user:{operating_system_user()} as {user}")[:256],
            role="operator",
            outcome="allowed" if principal is not None else "refused",
            reason="cli-acting-as",
            related_response_id=viewed,
        )
    )
    return principal or "unknown-principal"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def operating_system_user() -> str:
    """The login of the process's real uid (``LOGNAME``/``USER`` can be set by anyone)."""
    import pwd

    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid-{uid}"


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


# Export and access review ------------------------------------------------------------------------

PatientOption = Annotated[str | None, typer.Option("--patient", help="patient token (PT-…)")]


def export(
    out: Annotated[Path, typer.Option("--out", help="NDJSON file to write")],
    fmt: Annotated[str, typer.Option("--format", help="export format (fhir)")] = "fhir",
    patient: PatientOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO date or time (UTC if no offset)")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Write the log as FHIR R4 NDJSON: an AuditEvent per record (IHE BALP), a Provenance per
    answer. Patients and resources are pseudonymous tokens unless --as-user names an auditor;
    the export is itself audited."""
    from clinvault.audit import AuditEvent
    from clinvault.audit.fhir_export import FhirAuditExporter, ndjson_lines
    from clinvault.runtime import Runtime

    if fmt != "fhir":
        err.print("[red]error:[/red] --format: only 'fhir' is supported")
        raise typer.Exit(2)
    settings = load_settings()
    with reported_errors():
        start = None if since is None else _since(since)
        with Runtime.open(settings) as runtime:
            viewer = _principal(runtime, as_user)
            identified = viewer is not None and viewer.role == "auditor"
            log = runtime.audit_log
            log.append(
                AuditEvent(
                    kind="audit-view",
                    principal=viewer.name if viewer else "operator",
                    role=viewer.role if viewer else None,
                    patient=patient,
                    outcome="allowed",
                    reason="fhir-export-identified" if identified else "fhir-export",
                )
            )
            identities = _VaultIdentities(runtime) if identified else None
            exporter = FhirAuditExporter(identities)
            records = (
                r
                for r in log.iter_records()
                if (patient is None or r.patient == patient) and (start is None or r.time >= start)
            )
            counts = {"AuditEvent": 0, "Provenance": 0}
            partial = out.with_name(out.name + ".partial")
            with partial.open("w", encoding="utf-8") as handle:
                for resource in exporter.resources(records):
                    handle.writelines(ndjson_lines([resource]))
                    counts[resource["resourceType"]] += 1
            os.replace(partial, out)
    typer.echo(
        f"wrote {counts['AuditEvent']} AuditEvent and {counts['Provenance']} Provenance "
        f"resources to {out}"
    )


def report(
    patient: Annotated[str, typer.Option("--patient", help="patient token (PT-…)")],
    html: Annotated[
        Path | None, typer.Option("--html", help="also write a self-contained HTML page")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Access review: who accessed the patient, when, why, what was revealed, break-glass."""
    from rich.console import Console
    from rich.table import Table

    from clinvault.audit.access_report import build_report, render_html

    with reported_errors(), _audit_log(load_settings()) as log:
        review = build_report(patient, log.iter_records())
    if as_json:
        typer.echo(json.dumps([_row_json(row) for row in review.rows], indent=2))
    else:
        table = Table(title=f"Accesses to {patient}")
        for column in ("when", "who", "role", "why", "what", "outcome", "revealed", "cited"):
            table.add_column(column)
        for row in review.rows:
            table.add_row(
                row.time,
                row.principal,
                row.role or "-",
                (row.purpose or "-") + (" [red]BTG[/red]" if row.break_glass else ""),
                row.kind,
                f"{row.outcome} ({row.reason})",
                row.revealed,
                str(len(row.cited)),
            )
        Console(soft_wrap=True).print(table)
        typer.echo(
            f"{len(review.rows)} records, {len(review.principals)} principals, "
            f"{review.identified} identified answers, {len(review.break_glass)} break-glass"
        )
    if html is not None:
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        html.write_text(render_html(review, generated=generated), encoding="utf-8")
        typer.echo(f"wrote {html}")


def _row_json(row: Any) -> dict[str, Any]:
    from dataclasses import asdict

    view = asdict(row)
    view["cited"] = list(row.cited)
    return view


def _since(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err.print("[red]error:[/red] --since: use an ISO date or time, e.g. 2026-01-31")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _principal(runtime: Runtime, user: str | None) -> Principal | None:
    if user is None:
        return None
    principal: Principal | None = runtime.access_store.principal(user)
    if principal is None:
        err.print("[red]error:[/red] --as-user: no such principal")
        raise typer.Exit(2)
    return principal


class _VaultIdentities:
    """Source references for an authorized (auditor) export."""

    def __init__(self, runtime: Runtime) -> None:
        self._vault = runtime.vault

    def patient(self, token: str) -> str | None:
        """``None`` (the token stays) for a patient the vault does not know, or has erased."""
        try:
            found: str | None = self._vault.source_patient(token)
        except VaultError:
            return None
        return found

    def resource(self, token: str) -> str | None:
        try:
            found = self._vault.source_reference(token)
        except VaultError:
            return None
        return None if found is None else str(found[1])
