"""``clinvault index dump``: every stored point's payload, one JSON object per line."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from clinvault.cli.context import load_settings, reported_errors

app = typer.Typer(
    help="Inspect the vector index (pseudonymized content only).", no_args_is_help=True
)


@app.command("dump")
def dump(
    patient: Annotated[str | None, typer.Option(help="only this patient token (PT-...)")] = None,
) -> None:
    """Print every point's payload as JSON lines (for audits and tests)."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        for chunk in runtime.index.scroll(patient):
            sys.stdout.write(json.dumps(chunk.payload(), ensure_ascii=False) + "\n")


@app.command("count")
def count() -> None:
    """Number of points in the index."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(), Runtime.open(settings) as runtime:
        typer.echo(runtime.index.count())


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="index")
