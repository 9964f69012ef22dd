"""``clinvault access``: managing users and grants, with exit codes."""

from __future__ import annotations

import json

import pytest

from clinvault.settings import Settings

from .cli_factories import invoke


@pytest.fixture
def cli_home(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CLINVAULT_HOME", str(settings.home))
    return settings


def test_user_and_grant_lifecycle(cli_home: Settings) -> None:
    added = invoke(
        "access",
        "add-user",
        "--user",
        "dr.grey",
        "--role",
        "clinician",
        "--practitioner",
        "Practitioner/p-17",
    )
    assert added.exit_code == 0, added.output
    assert invoke("access", "add-user", "--user", "res.one", "--role", "researcher").exit_code == 0

    assert (
        invoke("access", "grant", "--user", "dr.grey", "--patient", "abc").output.strip()
        == "granted"
    )
    again = invoke("access", "grant", "--user", "dr.grey", "--patient", "Patient/abc")
    assert (again.exit_code, again.output.strip()) == (0, "already granted")

    users = json.loads(invoke("access", "list", "--json").output)
    assert users == [
        {"user": "dr.grey", "role": "clinician", "practitioner": "Practitioner/p-17", "grants": 1},
        {"user": "res.one", "role": "researcher", "practitioner": None, "grants": 0},
    ]
    assert json.loads(invoke("access", "list", "--user", "dr.grey", "--json").output) == [
        "Patient/abc"
    ]

    assert invoke("access", "revoke", "--user", "dr.grey", "--patient", "abc").exit_code == 0
    missing = invoke("access", "revoke", "--user", "dr.grey", "--patient", "abc")
    assert missing.exit_code == 1
    assert "no such grant" in missing.output


@pytest.mark.parametrize(
    "args",
    [
        ("access", "add-user", "--user", "x", "--role", "admin"),
        ("access", "add-user", "--user", "has space", "--role", "clinician"),
        ("access", "grant", "--user", "ghost", "--patient", "abc"),
        ("access", "list", "--user", "ghost"),
    ],
)
def test_bad_requests_fail_with_a_clear_message(cli_home: Settings, args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_duplicate_user_exits_nonzero(cli_home: Settings) -> None:
    assert invoke("access", "add-user", "--user", "dr.grey", "--role", "clinician").exit_code == 0
    duplicate = invoke("access", "add-user", "--user", "dr.grey", "--role", "auditor")
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output
