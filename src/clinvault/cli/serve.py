"""``clinvault serve``: the HTTP API and the chat page on uvicorn.

``--demo`` offers the registered users' development tokens on the chat page and prints
them; never use it outside development. TLS: pass ``--ssl-certfile``/``--ssl-keyfile`` or,
better, terminate TLS at a reverse proxy (see docs/deployment.md).

While it serves, the retention purge runs on a schedule (``retention.purge_every_s``, see
:mod:`clinvault.cli.maintenance`); it is stopped before the services close.

At start it refuses a home its group or others may enter and warns when the master key file
sits inside the home. Logs: one PHI-free JSON access line per request on stdout (uvicorn's
own access log is off), everything else on stderr through the PHI filter.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from clinvault.audit.retention import PurgeSchedule
from clinvault.cli.context import EXIT_CONFIG, err, load_settings, out, reported_errors
from clinvault.cli.maintenance import scheduled_purge
from clinvault.private_files import home_problems, home_warnings
from clinvault.settings import Settings

if TYPE_CHECKING:  # the API stack is imported only when serving
    from clinvault.api.services import ApiServices


def serve(
    host: Annotated[str | None, typer.Option("--host", help="default api.host")] = None,
    port: Annotated[int | None, typer.Option("--port", help="default api.port")] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="offer demo sign-in tokens (development only)"),
    ] = False,
    ssl_certfile: Annotated[Path | None, typer.Option("--ssl-certfile")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option("--ssl-keyfile")] = None,
) -> None:
    """Serve the API (/v1/...), the OpenAPI schema (/docs) and the chat page (/chat)."""
    settings = load_settings()
    settings = settings.model_copy(
        update={
            "api": settings.api.model_copy(
                update={
                    "host": host or settings.api.host,
                    "port": settings.api.port if port is None else port,
                    "demo_sign_in": demo or settings.api.demo_sign_in,
                }
            )
        }
    )
    _check_home(settings)
    import uvicorn

    from clinvault.api import ApiServices, create_app
    from clinvault.api.logging import server_log_config

    with reported_errors():
        services = ApiServices.open(settings)
        app = create_app(settings, services=services)
    scheme = "https" if ssl_certfile else "http"
    url = f"{scheme}://{settings.api.host}:{settings.api.port}/chat"
    out.print(f"clinvault chat: {url}", highlight=False)
    schedule: PurgeSchedule | str = "no scheduled retention purge"
    try:
        with reported_errors():
            _print_demo_tokens(settings, services)
            schedule = scheduled_purge(settings, services.runtime)
        if isinstance(schedule, str):
            err.print(schedule, highlight=False)
        _exit_through_finally_on_sigterm()
        uvicorn.run(
            app,
            host=settings.api.host,
            port=settings.api.port,
            server_header=False,
            proxy_headers=False,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            access_log=False,  # clinvault writes its own PHI-free access line per request
            log_config=server_log_config(),
        )
    finally:
        if not isinstance(schedule, str):
            schedule.stop()  # before the runtime closes: a purge under way finishes first
        services.close()
        err.print("clinvault serve stopped")


def _exit_through_finally_on_sigterm() -> None:
    """uvicorn shuts down on SIGTERM, restores the handler it found and raises the signal
    again; under the default action that kills the process before the purge schedule stops
    and the services close (the audit log signs its closing checkpoint then). With this
    handler the re-raised SIGTERM becomes ``SystemExit(143)`` and the ``finally`` runs."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _check_home(settings: Settings) -> None:
    """Refuse a home its group or others may enter; warn about loose data files and a master
    key file kept inside the home (see docs/deployment.md, "Files and keys")."""
    home = settings.home
    problems = home_problems(home)
    if problems:
        for problem in problems:
            err.print(f"[red]error:[/red] {problem}", highlight=False)
        raise typer.Exit(EXIT_CONFIG)
    key_from_env = bool(os.environ.get(settings.vault.master_key_env))
    for warning in home_warnings(home, settings.master_key_file, key_from_env=key_from_env):
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _print_demo_tokens(settings: Settings, services: ApiServices) -> None:
    """Development sign-in tokens for every registered user (``--demo`` only)."""
    from clinvault.api.routes.dev import DEMO_SCOPES, DEMO_TTL_S
    from clinvault.api.security.jwt import TokenIssuer
    from clinvault.api.services import hs256_secret

    secret = hs256_secret(settings.auth, services.runtime.record_keys)
    if not settings.api.demo_sign_in or secret is None:
        return
    issuer = TokenIssuer(settings.auth, secret)
    for summary in services.access_store.users():
        name, role = summary.principal.name, summary.principal.role.value
        token = issuer.issue(name, role, scopes=DEMO_SCOPES, ttl_s=DEMO_TTL_S)
        out.print(f"  {name} ({role}): {token}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
