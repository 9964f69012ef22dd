"""``clinvault audit``: exit codes, disclosure rules and the external anchor."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from clinvault.audit import AuditEvent, AuditLog
from clinvault.runtime import Runtime
from clinvault.settings import Settings

from .cli_factories import invoke

QUESTION = "Is Jane Q. Public still on metformin?"
TOKEN = "PT-3F9A1C0B7D2E4A61"


@pytest.fixture
def cli_home(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CLINVAULT_HOME", str(settings.home))
    with Runtime.open(settings) as runtime:
        store = runtime.access_store
        store.add_user("ann.auditor", "auditor")
        store.add_user("dr.grey", "clinician")
        store.add_user("dr.house", "clinician")
    return settings


@pytest.fixture
def records(cli_home: Settings) -> list[str]:
    log = AuditLog.open(cli_home)
    ids = [
        log.append(
            AuditEvent(
                kind="ask",
                principal="dr.grey",
                role="clinician",
                purpose="TREAT",
                patient=TOKEN,
                question=f"{QUESTION} #{n}",
                outcome="answered",
                reason="grounded",
                break_glass=n == 1,
                break_glass_reason="collapsed in ED" if n == 1 else None,
            )
        ).response_id
        for n in range(3)
    ]
    log.close()
    return ids


def _raw(settings: Settings, *statements: str) -> None:
    connection = sqlite3.connect(Path(settings.home) / "audit" / "audit.db")
    with connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()


def test_verify_on_an_empty_log_succeeds(cli_home: Settings) -> None:
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "0 records" in result.output


def test_verify_succeeds_then_names_the_first_bad_record(
    cli_home: Settings, records: list[str]
) -> None:
    assert invoke("audit", "verify").exit_code == 0
    _raw(cli_home, "UPDATE audit_records SET outcome = 'refused' WHERE seq = 2")
    result = invoke("audit", "verify")
    assert result.exit_code == 1
    assert "record 2" in result.output
    assert "hash-mismatch" in result.output


def test_verify_against_the_anchor_catches_a_forged_truncation(
    cli_home: Settings, records: list[str]
) -> None:
    anchor = invoke("audit", "head").output.strip()
    assert anchor.startswith("3:")
    log = AuditLog.open(cli_home)
    second_hash = log.recent(2)[1].hash
    log.close()
    _raw(
        cli_home,
        "DELETE FROM audit_records WHERE seq = 3",
        f"UPDATE audit_head SET count = 2, last_hash = '{second_hash}'",  # noqa: S608
    )
    by_checkpoint = invoke("audit", "verify")
    assert by_checkpoint.exit_code == 1, "the checkpoint signed when the log closed catches it"
    assert "head-reset" in by_checkpoint.output
    result = invoke("audit", "verify", "--anchor", anchor)
    assert result.exit_code == 1
    assert "record 3" in result.output
    assert invoke("audit", "verify", "--anchor", "nonsense").exit_code == 2


def test_show_withholds_the_question_unless_an_auditor_asks(
    cli_home: Settings, records: list[str]
) -> None:
    anonymous = json.loads(invoke("audit", "show", records[0], "--json").output)
    assert anonymous["question"] is None
    assert anonymous["question_encrypted"] is True
    assert anonymous["patient"] == TOKEN

    clinician = invoke("audit", "show", records[0], "--json", "--as-user", "dr.house")
    assert json.loads(clinician.output)["withheld"] == "role-not-permitted"
    stranger = invoke("audit", "show", records[0], "--json", "--as-user", "mallory")
    assert json.loads(stranger.output)["withheld"] == "unknown-principal"
    assert QUESTION not in clinician.output + stranger.output + anonymous.__repr__()

    auditor = json.loads(
        invoke("audit", "show", records[0], "--json", "--as-user", "ann.auditor").output
    )
    assert auditor["question"] == f"{QUESTION} #0"
    assert auditor["question_encrypted"] is False
    asker = json.loads(invoke("audit", "show", records[0], "--json", "--as-user", "dr.grey").output)
    assert asker["question"] == f"{QUESTION} #0", "the asker may read their own question"
    assert invoke("audit", "verify").output.startswith("audit log intact: 9 records"), (
        "both reveals were audited, and the four --as-user claims"
    )


def test_show_unknown_response_id_exits_1(cli_home: Settings) -> None:
    result = invoke("audit", "show", "RSP-" + "0" * 32)
    assert result.exit_code == 1
    assert "no audit record" in result.output


def test_list_shows_the_newest_records_first(cli_home: Settings, records: list[str]) -> None:
    result = invoke("audit", "list", "--limit", "2", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [r["response_id"] for r in listed] == [records[2], records[1]]
    assert all(r["question"] is None for r in listed)
    plain = invoke("audit", "list")
    assert plain.exit_code == 0
    assert len(plain.output.strip().splitlines()) == 3
    assert QUESTION not in plain.output


def test_break_glass_lists_only_flagged_accesses(cli_home: Settings, records: list[str]) -> None:
    withheld = json.loads(invoke("audit", "break-glass", "--json").output)
    assert [r["response_id"] for r in withheld] == [records[1]]
    assert withheld[0]["break_glass_reason"] is None
    revealed = json.loads(
        invoke("audit", "break-glass", "--json", "--as-user", "ann.auditor").output
    )
    assert revealed[0]["break_glass_reason"] == "collapsed in ED"
