"""``clinvault token issue``: development bearer tokens (HS256, signed with the deployment's
development secret or ``auth.hs256_secret``). Production tokens come from the identity
provider; this command refuses to mint when HS256 is not an accepted algorithm."""

from __future__ import annotations

from typing import Annotated

import typer

from clinvault.cli.context import err, load_settings, reported_errors
from clinvault.errors import ConfigError

token_app = typer.Typer(help="Development bearer tokens for the HTTP API.", no_args_is_help=True)

DEFAULT_SCOPES = ["openid", "fhirUser", "user/*.rs"]


@token_app.command("issue")
def issue(
    user: Annotated[str, typer.Option("--user", help="the user name (token subject)")],
    role: Annotated[str, typer.Option("--role", help="clinician, researcher or auditor")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="SMART v2 scope, repeatable (default: user/*.rs)"),
    ] = None,
    ttl: Annotated[int, typer.Option("--ttl", help="lifetime in seconds")] = 3600,
    patient: Annotated[
        str | None, typer.Option("--patient", help="launch patient for patient/ scopes")
    ] = None,
) -> None:
    """Print a signed development token for USER with ROLE."""
    settings = load_settings()
    from clinvault.access.principal import check_user_name, parse_role
    from clinvault.api.security.jwt import TokenIssuer
    from clinvault.api.services import hs256_secret
    from clinvault.runtime import Runtime

    with reported_errors():
        check_user_name(user)
        parse_role(role)
        with Runtime.open(settings) as runtime:
            secret = hs256_secret(settings.auth, runtime.record_keys)
        if secret is None:
            raise ConfigError("auth.algorithms does not accept HS256: tokens come from the IdP")
        token = TokenIssuer(settings.auth, secret).issue(
            user, role, scopes=scope or DEFAULT_SCOPES, ttl_s=ttl, patient=patient
        )
    typer.echo(token)
    err.print(f"expires in {ttl} s; audience {settings.auth.audience}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
