"""A fresh root app with the audit and access command groups mounted, run in a clean home."""

from __future__ import annotations

import typer
from typer.testing import CliRunner, Result

from clinvault.cli import access as access_cli
from clinvault.cli import audit as audit_cli


def app_with_groups() -> typer.Typer:
    app = typer.Typer()
    audit_cli.register(app)
    access_cli.register(app)
    return app


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app_with_groups(), list(args))
