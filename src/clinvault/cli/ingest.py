"""``clinvault ingest PATH...``: FHIR, C-CDA and HL7 v2 files and folders into the vault and
the index (legacy formats are translated to FHIR R4 at the edge, ``clinvault.interop``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from clinvault.audit import AuditEvent
from clinvault.cli.context import RichProgress, err, load_settings, out, reported_errors
from clinvault.cli.ingest_engine import engine_pipeline, with_engine
from clinvault.errors import UnusableInputError
from clinvault.ingest.report import EXIT_UNUSABLE, IngestReport

if TYPE_CHECKING:
    from clinvault.runtime import Runtime


def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="FHIR (Bundle JSON, bulk NDJSON, resource files), C-CDA (.xml/.ccda/.cda), "
            "HL7 v2 (.hl7/.txt): files or folders"
        ),
    ],
    allow_reingest: Annotated[
        bool,
        typer.Option(
            "--allow-reingest", help="bring back patients that were erased (each one audited)"
        ),
    ] = False,
    engine: Annotated[
        str | None, typer.Option("--engine", help="local or ray (default: ingest.engine)")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="Ray cluster, ray://HOST:10001 (default: ingest.ray.address)"
        ),
    ] = None,
) -> None:
    """Ingest FHIR R4, C-CDA or HL7 v2: originals sealed in the vault, pseudonymized chunks
    indexed. Patients that were erased are refused unless ``--allow-reingest``."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors():
        settings = with_engine(settings, engine, address)
    with reported_errors(), Runtime.open(settings) as runtime, engine_pipeline(runtime) as pipeline:
        runtime.vault.allow_reingest = allow_reingest
        progress = RichProgress("ingesting patients")
        pipeline.progress = progress
        try:
            report = pipeline.run(paths)
        except UnusableInputError as exc:
            err.print(f"[red]unusable input:[/red] {exc}")
            raise typer.Exit(EXIT_UNUSABLE) from None
        finally:
            progress.stop()
            audit_reingested(runtime)
    _print_report(report)
    raise typer.Exit(report.exit_status)


def audit_reingested(runtime: Runtime) -> None:
    """One audit record per erased patient this ingest brought back."""
    for token in runtime.vault.reingested:
        runtime.audit_log.append(
            AuditEvent(
                kind="admin",
                principal="operator",
                outcome="allowed",
                reason="reingest-after-erasure",
                role="operator",
                patient=token,
            )
        )


def _print_report(report: IngestReport) -> None:
    for path, reason in report.skipped_files:
        err.print(f"[yellow]skipped[/yellow] {path}: {reason}")
    for problem in report.rejected:
        err.print(
            f"[red]rejected[/red] {problem.where} ({problem.resource_type}): {problem.message}"
        )
    table = Table(title="ingest")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in report.summary():
        table.add_row(label, str(value))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
