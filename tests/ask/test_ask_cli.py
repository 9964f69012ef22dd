"""``clinvault ask``: answers with numbered sources; refusals exit 3 with the reason on stderr."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner, Result

from clinvault.audit import AuditLog
from clinvault.cli import ask as ask_cli
from clinvault.cli.main import COMMAND_MODULES
from tests.ask.ask_factories import LATEST_HBA1C, PATIENT_ID
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN, RESEARCHER, Cohort, Services


@pytest.fixture
def cli_env(cohort: Cohort, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    services.close()  # the CLI opens the index itself
    for name, value in cohort.env.items():
        monkeypatch.setenv(name, value)


def _ask(*args: str) -> Result:
    app = typer.Typer()
    ask_cli.register(app)
    app.command("noop")(lambda: None)  # keep "ask" a subcommand, as in the real app
    return CliRunner().invoke(app, ["ask", *args])


def test_ask_is_a_registered_command() -> None:
    assert "clinvault.cli.ask" in COMMAND_MODULES


def test_answer_with_numbered_sources(cli_env: None) -> None:
    result = _ask("--user", CLINICIAN, "--patient", PATIENT_ID, "What is the latest HbA1c?")
    assert result.exit_code == 0, result.output
    assert f"{LATEST_HBA1C} %" in result.stdout
    assert "[1] Observation/a1c-19 (Observation," in result.stdout


def test_json_output_for_a_researcher(cli_env: None) -> None:
    result = _ask(
        "--user",
        RESEARCHER,
        "--patient",
        f"Patient/{PATIENT_ID}",
        "--purpose",
        "HRESCH",
        "--json",
        "What allergies does she have?",
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["pseudonymous"] is True
    assert body["response_id"].startswith("RSP-")
    assert body["citations"]
    assert all(c["reference"].startswith("RES-") for c in body["citations"])


def test_refusal_exits_3_with_the_reason_and_is_audited(cli_env: None, cohort: Cohort) -> None:
    result = _ask("--user", CARE_TEAM_LESS, "--patient", PATIENT_ID, "What is the latest HbA1c?")
    assert result.exit_code == 3
    assert "no-relationship" in result.stderr
    assert result.stdout == ""
    log = AuditLog.open(cohort.settings())
    try:
        last_ask = next(r for r in log.recent(3) if r.kind == "ask")
    finally:
        log.close()
    assert (last_ask.principal, last_ask.outcome) == (CARE_TEAM_LESS, "refused")


def test_break_glass_opens_access(cli_env: None) -> None:
    result = _ask(
        "--user",
        CARE_TEAM_LESS,
        "--patient",
        PATIENT_ID,
        "--break-glass",
        "unconscious in ED",
        "What allergies does she have?",
    )
    assert result.exit_code == 0, result.output
    assert "AllergyIntolerance/allergy-1" in result.stdout
