"""``clinvault show``: what went where: resources in the vault, chunks in the index, and one
pseudonymized chunk beside its source (the source is shown only with ``--reveal-source``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

import typer
from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from clinvault.cli.context import load_settings, reported_errors


def show(
    reveal_source: Annotated[
        bool,
        typer.Option(help="also print the decrypted source of the example (synthetic data only)"),
    ] = False,
) -> None:
    """Summarize the vault and the index."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    out = Console()  # wrapped output: panels of note text
    with reported_errors(), Runtime.open(settings) as runtime:
        vault, index = runtime.vault, runtime.index
        counts = vault.counts()
        table = Table(title=f"vault ({settings.vault.backend}, encrypted)")
        table.add_column("what")
        table.add_column("rows", justify="right")
        for name in ("patients", "resources", "tokens", "lookups", "quarantine"):
            table.add_row(name, str(counts.get(name, 0)))
        chunks = list(index.scroll())
        kinds = Counter(c.kind for c in chunks)
        types = Counter(c.resource_type for c in chunks)
        itable = Table(title=f"index ({settings.index.backend}, pseudonymized)")
        itable.add_column("chunks by kind / type")
        itable.add_column("count", justify="right")
        for label, value in [*kinds.most_common(), *types.most_common(8)]:
            itable.add_row(label, str(value))
        itable.add_row("total", str(len(chunks)))
        out.print(Columns([table, itable]))
        example = next((c for c in chunks if c.kind == "note"), chunks[0] if chunks else None)
        if example is None:
            out.print("the index is empty: run `clinvault ingest PATH` first")
            return
        out.print(
            Panel(
                json.dumps(example.payload(), indent=2, ensure_ascii=False),
                title="indexed chunk (what the model sees)",
            )
        )
        if reveal_source:
            record = vault.source_record(example.resource)
            if record is not None:
                source = record.resource
                text = json.dumps(source, indent=2, ensure_ascii=False)
                if example.kind == "note":
                    from clinvault.fhir.notes import note_texts

                    notes = note_texts(source)
                    text = notes[0].text if notes else text
                out.print(
                    Panel(text[:2500], title="its source in the vault (decrypted; synthetic data)")
                )


def register(app: typer.Typer) -> None:
    app.command("show")(show)
