"""Issue 19 item 6: ``audit show --as-user`` is the operator's claim, not a login. The CLI says
so in its help, and every claim is audited with the operating-system user (real uid, not the
environment) as the actor, before anything is revealed; a claim of an unknown principal is
audited as refused."""

from __future__ import annotations

import json
import os
import pwd

import pytest

from clinvault.audit import AuditEvent, AuditLog
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.cli.cli_factories import invoke

TOKEN = "PT-3F9A1C0B7D2E4A61"
OS_USER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def response_id(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CLINVAULT_HOME", str(settings.home))
    with Runtime.open(settings) as runtime:
        runtime.access_store.add_user("ann.auditor", "auditor")
    log = AuditLog.open(settings)
    try:
        return log.append(
            AuditEvent(
                kind="ask",
                principal="dr.grey",
                role="clinician",
                purpose="TREAT",
                patient=TOKEN,
                question="Is she still on metformin?",
                outcome="answered",
                reason="grounded",
            )
        ).response_id
    finally:
        log.close()


def _records(settings: Settings) -> list[dict[str, object]]:
    log = AuditLog.open(settings)
    try:
        return [r.public_dict() for r in reversed(log.recent(50))]
    finally:
        log.close()


def test_a_claimed_auditor_is_audited_with_the_os_user_as_actor(
    settings: Settings, response_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("USER", "LOGNAME", "USERNAME", "LNAME"):
        monkeypatch.setenv(name, "someone-else")  # the environment names nobody
    result = invoke("audit", "show", response_id, "--json", "--as-user", "ann.auditor")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["question"] == "Is she still on metformin?"
    _ask, claim, view = _records(settings)
    assert claim["kind"] == "admin"
    assert claim["reason"] == "cli-acting-as"
    assert claim["principal"] == f"os-user:{OS_USER} as ann.auditor"
    assert claim["role"] == "operator"
    assert claim["outcome"] == "allowed"
    assert claim["related_response_id"] == response_id
    assert view["kind"] == "audit-view"
    assert claim["seq"] < view["seq"], "the claim is on record before the reveal"
    assert "someone-else" not in json.dumps(_records(settings))


def test_a_claim_of_an_unknown_principal_is_audited_as_refused(
    settings: Settings, response_id: str
) -> None:
    result = invoke("audit", "show", response_id, "--json", "--as-user", "mallory")
    assert json.loads(result.output)["withheld"] == "unknown-principal"
    _ask, claim = _records(settings)
    assert claim["principal"] == f"os-user:{OS_USER} as mallory"
    assert claim["outcome"] == "refused"


def test_no_claim_no_record(settings: Settings, response_id: str) -> None:
    assert json.loads(invoke("audit", "show", response_id, "--json").output)["question"] is None
    assert len(_records(settings)) == 1


def test_the_help_says_the_cli_acts_as_the_operator() -> None:
    text = " ".join(invoke("audit", "show", "--help").output.split())
    assert "not a login" in text
    assert "OS user" in text
