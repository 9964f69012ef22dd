"""``clinvault vault certs|serve``: the vault as its own service (issue 15).

``certs`` writes a development CA, a server certificate and one client certificate per
caller into ``CLINVAULT_HOME/certs`` (0700 / 0600). ``serve`` runs the vault service: this
process alone holds the master key and the vault database; callers reach it over HTTPS with
mutual TLS and are identified by their certificate's common name (``--allow``). Other
processes point ``CLINVAULT_VAULT__URL`` at it (``https://vault:8443``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from clinvault.cli.context import err, load_settings, out, reported_errors
from clinvault.private_files import home_problems


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The vault as a separate service (mutual TLS).", no_args_is_help=True)
    group.command("certs")(certs)
    group.command("serve")(serve)
    app.add_typer(group, name="vault")


def certs(
    directory: Annotated[
        Path | None, typer.Option(help="where to write them; default CLINVAULT_HOME/certs")
    ] = None,
    server_name: Annotated[
        list[str] | None, typer.Option(help="DNS name or IP of the vault service (repeatable)")
    ] = None,
    client: Annotated[
        list[str] | None, typer.Option(help="caller identity to issue a cert for (repeatable)")
    ] = None,
) -> None:
    """Make a development CA, a server certificate and client certificates (0600)."""
    from clinvault.vault_service.certs import make_dev_pki

    settings = load_settings()
    target = directory or settings.home / "certs"
    pki = make_dev_pki(
        target,
        server_names=tuple(server_name or ("localhost", "vault", "127.0.0.1")),
        clients=tuple(client or ("api", "ingest")),
    )
    out.print(f"CA: {pki.ca.cert}")
    out.print(f"server: {pki.server.cert}")
    for name, paths in pki.clients.items():
        out.print(f"client {name}: {paths.cert}")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8443,
    allow: Annotated[
        list[str] | None, typer.Option(help="allowed caller (client certificate CN; repeatable)")
    ] = None,
    certs_dir: Annotated[
        Path | None, typer.Option(help="server.crt/server.key/ca.crt; default CLINVAULT_HOME/certs")
    ] = None,
    max_body_bytes: Annotated[int, typer.Option(help="request size limit")] = 4 * 1024 * 1024,
    rate: Annotated[float, typer.Option(help="calls per second per caller")] = 500.0,
    burst: Annotated[float, typer.Option(help="burst size per caller")] = 1000.0,
    reveal_to: Annotated[
        list[str] | None,
        typer.Option(
            help="caller served plain re-identification and original records (repeatable; "
            "default ingest); others re-identify only for an authorized person"
        ),
    ] = None,
) -> None:
    """Run the vault service (the only holder of the master key and the vault database)."""
    import uvicorn

    from clinvault.access import AccessStore
    from clinvault.audit import AuditLog
    from clinvault.keys import KeyRing, RecordKeys, records_key_configured
    from clinvault.vault import Vault
    from clinvault.vault_service.app import RateLimiter, ServiceState, create_app
    from clinvault.vault_service.checks import RevealGate
    from clinvault.vault_service.server import TlsFiles, uvicorn_config

    settings = load_settings()
    if (settings.vault.url or "").startswith("https://"):
        err.print("[red]error:[/red] the vault service needs a database vault.url, not https://")
        raise typer.Exit(2)
    problems = home_problems(settings.home)
    if problems:
        for problem in problems:
            err.print(f"[red]error:[/red] {problem}")
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    directory = certs_dir or settings.home / "certs"
    tls = TlsFiles(directory / "server.crt", directory / "server.key", directory / "ca.crt")
    with reported_errors():
        keys = KeyRing.load(settings)
        records = RecordKeys.load(settings) if records_key_configured(settings) else keys.records
        vault = Vault.open(settings, keys=keys)
        audit = AuditLog.open(settings, records)
        access = AccessStore.open(settings.access_url, records)
        try:
            gate = RevealGate(
                vault,
                access,
                audit,
                break_glass_over_consent=settings.access.break_glass_over_consent,
            )
            state = ServiceState(
                vault=vault,
                audit=audit,
                callers=frozenset(allow or ("api", "ingest")),
                limiter=RateLimiter(rate=rate, burst=burst),
                max_body_bytes=max_body_bytes,
                gate=gate,
                reveal_to=frozenset(reveal_to or ("ingest",)),
            )
            config = uvicorn_config(create_app(state), host, port, tls)
            uvicorn.Server(config).run()
        finally:
            access.close()
            audit.close()
            vault.close()
