"""``clinvault token issue`` mints tokens the server accepts; ``serve`` is registered."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from clinvault.api.security.jwt import TokenRejected
from clinvault.cli.main import app
from tests.api.conftest import Api
from tests.ask.conftest import CLINICIAN


def test_issued_token_verifies_against_the_server(api: Api) -> None:
    result = CliRunner().invoke(
        app,
        [
            "token",
            "issue",
            "--user",
            CLINICIAN,
            "--role",
            "clinician",
            "--scope",
            "user/Observation.rs",
            "--ttl",
            "120",
        ],
        env=api.cohort.env,
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    claims = api.services.verifier.verify(token)
    assert claims.subject == CLINICIAN
    assert claims.role == "clinician"
    assert claims.scopes == ("user/Observation.rs",)
    assert 100 <= claims.expires_at - api.issuer.now() <= 121


def test_bad_role_and_overlong_ttl_are_refused(api: Api) -> None:
    runner = CliRunner()
    bad_role = runner.invoke(
        app, ["token", "issue", "--user", "x", "--role", "admin"], env=api.cohort.env
    )
    assert bad_role.exit_code == 2
    too_long = runner.invoke(
        app,
        ["token", "issue", "--user", "x", "--role", "auditor", "--ttl", "9999999"],
        env=api.cohort.env,
    )
    assert too_long.exit_code == 2


def test_serve_is_a_command() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.stdout


def test_garbage_never_verifies(api: Api) -> None:
    with pytest.raises(TokenRejected):
        api.services.verifier.verify("a.b.c")
