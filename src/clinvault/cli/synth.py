"""``clinvault synth``: write a deterministic synthetic FHIR cohort and its truth file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from clinvault.cli.context import RichProgress, out, reported_errors
from clinvault.synth import DEFAULT_TODAY, TRUTH_FILE, SynthConfig, SyntheticPatient, write_cohort


def synth(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for <patient-id>.json and truth.jsonl")
    ],
    patients: Annotated[
        int, typer.Option("--patients", "-n", min=1, help="Number of patients")
    ] = 20,
    seed: Annotated[int, typer.Option(help="Seed: the same seed writes identical files")] = 0,
    today: Annotated[
        datetime,
        typer.Option(formats=["%Y-%m-%d"], help="Reference date the records end on"),
    ] = datetime.combine(DEFAULT_TODAY, datetime.min.time()),
    force: Annotated[
        bool, typer.Option("--force", help="Replace a previous cohort in a non-empty folder")
    ] = False,
) -> None:
    """Generate synthetic patients: one FHIR R4 transaction Bundle each, plus truth.jsonl."""
    config = SynthConfig(patients=patients, seed=seed, today=today.date())
    progress = RichProgress("generating patients") if patients > 1 else None

    def advance(_patient: SyntheticPatient) -> None:
        if progress is not None:
            progress.advance()

    with reported_errors():
        if progress is not None:
            progress.start(patients)
        try:
            summary = write_cohort(config, out_dir, force=force, on_patient=advance)
        finally:
            if progress is not None:
                progress.stop()
    out.print(
        f"wrote {summary.patients} bundles ({summary.resources} resources) and {TRUTH_FILE} "
        f"to {summary.out_dir}"
    )


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
