"""``clinvault llm``: the model routes, their compliance with the provider policy, a probe.

clinvault llm check          every route, its place (active, fallback n, unused),
                             compliance status and why; exit 2 if the active route
                             violates the policy
clinvault llm test ROUTE     a harmless probe through the full gateway: latency, reply
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from clinvault.cli.context import EXIT_CONFIG, err, load_settings, out, reported_errors

llm_app = typer.Typer(help="Model routes: compliance check and probe.", no_args_is_help=True)


def _key_state(api_key_env: str | None) -> str:
    if api_key_env is None:
        return "-"
    return f"{api_key_env} {'set' if os.environ.get(api_key_env) else 'MISSING'}"


@llm_app.command("check")
def check() -> None:
    """List every configured route with its compliance status and the reasons."""
    settings = load_settings()
    from clinvault.llm.routes import assess_routes  # imports litellm: only here

    with reported_errors():
        routes = assess_routes(settings.llm)
    from clinvault.llm.route_plan import route_plan

    in_plan = len(route_plan(settings.llm))
    table = Table(title="llm routes", show_lines=False)
    for column in ("route", "role", "model", "provider", "api key", "status", "why"):
        table.add_column(column, overflow="fold")
    for index, route in enumerate(routes):
        role = "active" if index == 0 else f"fallback {index}" if index < in_plan else "unused"
        status = route.compliance
        if status.compliant:
            verdict = "[green]compliant[/green]"
        elif index == 0:
            verdict = "[red]VIOLATES (gateway will not start)[/red]"
        else:
            verdict = (
                "[red]violates (never called)[/red]" if index < in_plan else "[red]violates[/red]"
            )
        table.add_row(
            route.name,
            role,
            route.model,
            route.provider,
            _key_state(route.api_key_env),
            verdict,
            status.explain(),
        )
    out.print(table)
    if not routes[0].compliance.compliant:
        err.print("[red]the active route violates the provider policy[/red]")
        raise typer.Exit(EXIT_CONFIG)


@llm_app.command("test")
def test(
    route: Annotated[str, typer.Argument(help="route name (see `clinvault llm check`)")],
) -> None:
    """Send a harmless probe through the full gateway to ROUTE; print latency and reply."""
    settings = load_settings()
    from clinvault.llm.probe import probe_route  # imports litellm: only here

    with reported_errors(exit_code=1):
        result = probe_route(settings.llm, route)
    served = f" ({result.served_model})" if result.served_model else ""
    cost = "unknown" if result.cost_usd is None else f"${result.cost_usd:.6f}"
    out.print(f"route {result.route}: {result.model}{served} via {result.provider}", markup=False)
    out.print(
        f"latency {result.latency_s * 1000:.1f} ms · tokens {result.usage.prompt_tokens} in, "
        f"{result.usage.completion_tokens} out · cost {cost}",
        markup=False,
    )
    out.print(result.text, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
