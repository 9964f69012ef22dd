"""``clinvault ask``: one question about one patient, answered with numbered citations.

Exit status 3 when access is refused (the reason code goes to stderr, and the refusal is
audited); 2 for configuration or input problems; 1 for other failures (guard, model).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from clinvault.cli.context import err, load_settings, out, reported_errors
from clinvault.errors import AccessDenied

EXIT_REFUSED = 3


def ask(
    question: Annotated[str, typer.Argument(help="the question, in plain words")],
    user: Annotated[str, typer.Option("--user", help="who is asking (user name)")],
    patient: Annotated[str, typer.Option("--patient", help="Patient/<id> or <id>")],
    purpose: Annotated[
        str, typer.Option("--purpose", help="purpose of use: TREAT, ETREAT, HOPERAT, HRESCH")
    ] = "TREAT",
    break_glass: Annotated[
        str | None,
        typer.Option("--break-glass", help="emergency access reason (audited and flagged)"),
    ] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", help="evidence chunks to use")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Answer a question from one patient's record, citing the resources it used."""
    settings = load_settings()
    from clinvault.runtime import Runtime

    with reported_errors(exit_code=1), Runtime.open(settings) as runtime:
        try:
            result = runtime.ask_service().ask(
                user,
                patient,
                question,
                purpose=purpose,
                break_glass_reason=break_glass,
                top_k=top_k,
            )
        except AccessDenied as exc:
            err.print(f"[red]refused:[/red] {exc.reason}")
            raise typer.Exit(EXIT_REFUSED) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    out.print(result.answer, markup=False, highlight=False)
    if result.citations:
        out.print()
        out.print("[bold]Sources[/bold]")
        for citation in result.citations:
            date = f", {citation.date}" if citation.date else ""
            out.print(
                f"[{citation.n}] {citation.reference} ({citation.resource_type}{date})",
                markup=False,
                highlight=False,
            )
    for statement in result.uncited_statements:
        err.print(f"[yellow]uncited:[/yellow] {escape(statement)}", highlight=False)
    if result.invalid_citations:
        numbers = ", ".join(str(n) for n in result.invalid_citations)
        err.print(f"[yellow]removed citations to evidence that does not exist:[/yellow] {numbers}")
    err.print(f"response {result.response_id} · {result.model}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
