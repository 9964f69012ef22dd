"""``clinvault ingest PATH...``: FHIR, C-CDA and HL7 v2 files and folders into the vault and
the index (legacy formats are translated to FHIR R4 at the edge, ``clinvault.interop``).

On this machine (``--engine local``) validation and PHI detection run on ``--workers``
processes (:mod:`clinvault.ingest.workers`; they get no key), embedding on a thread, sealing
and writes in this process. One progress bar (resources/s, ETA) covers the run; a summary
table ends it, with the seconds per stage. ``--quiet`` prints neither (problems still go to
stderr; the exit status tells the outcome).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from clinvault.audit import AuditEvent
from clinvault.cli.context import err, load_settings, out, reported_errors
from clinvault.cli.ingest_engine import engine_pipeline, with_engine
from clinvault.errors import UnusableInputError
from clinvault.ingest.note_scrubber import NoteScrubber
from clinvault.ingest.parallel import StageTimes
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.ingest.report import EXIT_UNUSABLE, IngestReport
from clinvault.ingest.workers import WorkerPool, default_workers

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
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="worker processes for validation and PHI detection (local engine; 0: all in "
            "this process; default: ingest.workers, else the CPU count)",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="no progress bar and no summary (for scripts: problems still go to stderr, "
            "the exit status tells the outcome)",
        ),
    ] = False,
) -> None:
    """Ingest FHIR R4, C-CDA or HL7 v2: originals sealed in the vault, pseudonymized chunks
    indexed. Patients that were erased are refused unless ``--allow-reingest``."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors():
        settings = with_engine(settings, engine, address)
    processes = workers if workers is not None else settings.ingest.workers or default_workers()
    with (
        reported_errors(),
        Runtime.open(settings) as runtime,
        _pipeline(runtime, processes) as pipeline,
    ):
        runtime.vault.allow_reingest = allow_reingest
        progress = None if quiet else IngestProgress(err)
        if progress is not None:
            pipeline.progress = progress
        try:
            report = pipeline.run(paths)
        except UnusableInputError as exc:
            err.print(f"[red]unusable input:[/red] {exc}")
            raise typer.Exit(EXIT_UNUSABLE) from None
        finally:
            if progress is not None:
                progress.stop()
            audit_reingested(runtime)
    _print_problems(report)
    if not quiet:
        out.print(summary_table(report, pipeline.times))
    raise typer.Exit(report.exit_status)


@contextmanager
def _pipeline(runtime: Runtime, workers: int) -> Iterator[IngestPipeline]:
    """The pipeline of ``ingest.engine``: the local one with ``workers`` processes."""
    if runtime.settings.ingest.engine != "local":
        with engine_pipeline(runtime) as pipeline:
            yield pipeline
        return
    with local_pipeline(runtime, workers) as pipeline:
        yield pipeline


@contextmanager
def local_pipeline(runtime: Runtime, workers: int) -> Iterator[IngestPipeline]:
    """The local pipeline with ``workers`` processes for validation and PHI detection (0:
    everything in this process). The workers get the detector's settings only, and an
    environment without the master key; the detector is then loaded in them only."""
    if workers == 0:
        yield runtime.ingest_pipeline()
        return
    settings = runtime.settings
    phi = settings.phi if settings.ingest.detect_phi else None
    with WorkerPool(workers, phi, hidden_env=(settings.vault.master_key_env,)) as pool:
        notes = NoteScrubber(pool.detector() if phi is not None else None)
        pipeline = runtime.ingest_pipeline(notes=notes)
        pipeline.pool = pool
        yield pipeline


class _RateColumn(ProgressColumn):
    """Resources per second since the count (re)started, and the time left at that rate
    (the pipeline advances a group of patients at a time, so a recent-window rate jumps)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0 or task.completed <= 0:
            return Text("")
        rate = task.completed / elapsed
        shown = f"{rate:,.1f} resources/s"
        if task.total is not None and task.description == "ingesting":
            left = max(task.total - task.completed, 0) / rate
            shown += f"  ETA {int(left) // 60}:{int(left) % 60:02d}"
        return Text(shown, style="progress.data.speed")


@dataclass
class IngestProgress:
    """The ingest's one progress bar, in resources: while reading it counts what was read;
    then the total is known and it shows resources/s and the time remaining until every
    resource is through every stage (stored or found unchanged, chunks embedded and
    indexed)."""

    console: Console
    _bar: Progress = field(init=False)
    _task: TaskID = field(init=False)

    def __post_init__(self) -> None:
        self._bar = Progress(
            TextColumn("[bold]ingest: {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            _RateColumn(),
            console=self.console,
            transient=False,
        )
        self._task = self._bar.add_task("starting", total=None)
        self._bar.start()

    def stage(self, name: str) -> None:
        self._bar.update(self._task, description=name)

    def start(self, total: int) -> None:
        self._bar.reset(self._task, total=total, completed=0)

    def advance(self, n: int = 1) -> None:
        self._bar.advance(self._task, n)

    def stop(self) -> None:
        self._bar.stop()


def summary_table(report: IngestReport, times: StageTimes) -> Table:
    """The counts of :meth:`IngestReport.summary`, then the seconds per stage and the rates
    over the whole run (``detect`` and ``validate``: compute seconds summed over the worker
    processes when there are any; ``embed``: the embedder's compute time)."""
    table = Table(title="ingest")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in report.summary():
        table.add_row(label, str(value))
    table.add_section()
    for label, seconds in (
        ("read s (files, validation, references)", times.read),
        ("validate s", times.validate),
        ("detect s (PHI in notes)", times.detect),
        ("embed s", times.embed),
        ("write s (vault and index)", times.write),
        ("wall s", times.wall),
    ):
        table.add_row(label, f"{seconds:.1f}")
    wall = times.wall or float("inf")
    table.add_row("resources/s", f"{report.resources_seen / wall:.1f}")
    table.add_row("chunks/s", f"{report.chunks_indexed / wall:.1f}")
    return table


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


def _print_problems(report: IngestReport) -> None:
    for path, reason in report.skipped_files:
        err.print(f"[yellow]skipped[/yellow] {path}: {reason}")
    for problem in report.rejected:
        err.print(
            f"[red]rejected[/red] {problem.where} ({problem.resource_type}): {problem.message}"
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
