"""The ``clinvault`` command: one typer app, one module per command group."""

from __future__ import annotations

import importlib

import typer

import clinvault  # noqa: F401  (offline defaults before any heavy import)

COMMAND_MODULES = (
    "clinvault.cli.synth",
    "clinvault.cli.ingest",
    "clinvault.cli.convert",
    "clinvault.cli.index",
    "clinvault.cli.show",
    "clinvault.cli.ask",
    "clinvault.cli.llm",
    "clinvault.cli.eval",
    "clinvault.cli.serve",
    "clinvault.cli.token",
    "clinvault.cli.access",
    "clinvault.cli.audit",
    "clinvault.cli.deid",
    "clinvault.cli.mllp",
    "clinvault.cli.keys",
    "clinvault.cli.patient",
    "clinvault.cli.consent",
    "clinvault.cli.maintenance",
    "clinvault.cli.vault",
)

app = typer.Typer(
    name="clinvault",
    help="Retrieval-augmented clinical assistant with a tokenizing privacy vault.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def run() -> None:
    app()
