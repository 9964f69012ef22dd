"""``clinvault deid`` mounted on a fresh typer app (the detector is the session one)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from clinvault.cli import deid
from clinvault.phi import PhiDetector
from clinvault.phi.base import PhiType
from clinvault.settings import PhiSettings, Settings

pytestmark = pytest.mark.slow

NOTE = "Daughter Maria Lopez called 555-234-9876 on Tues 3/4 about her Parkinson disease."


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, detector: PhiDetector, settings: Settings) -> typer.Typer:
    monkeypatch.setattr(deid, "build_detector", lambda _settings: detector)
    monkeypatch.setenv("CLINVAULT_HOME", str(settings.home))
    root = typer.Typer()
    deid.register(root)
    return root


def test_text_redacts_without_a_patient(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["deid", "text"], input=NOTE)
    assert result.exit_code == 0, result.output
    assert "Maria" not in result.stdout
    assert "555-234-9876" not in result.stdout
    assert "[NAME]" in result.stdout
    assert "Parkinson disease" in result.stdout


def test_text_json_offsets_point_into_the_input(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["deid", "text", "--json"], input=NOTE)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    spans = payload["spans"]
    assert {NOTE[s["start"] : s["end"]] for s in spans} >= {"Maria Lopez", "555-234-9876"}
    assert {s["type"] for s in spans} <= {t.value for t in PhiType}
    rebuilt, cursor = [], 0
    for s in spans:
        rebuilt += [NOTE[cursor : s["start"]], s["token"]]
        cursor = s["end"]
    assert "".join([*rebuilt, NOTE[cursor:]]) == payload["text"]


def test_text_with_a_patient_uses_reversible_vault_tokens(
    app: typer.Typer, settings: Settings
) -> None:
    from clinvault.vault import Vault

    vault = Vault.open(settings)
    try:
        with vault.transaction():
            patient = vault.patient_session("Patient/p-42").patient_token
    finally:
        vault.close()
    runner = CliRunner()
    first = runner.invoke(app, ["deid", "text", "--patient", "p-42"], input=NOTE)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["deid", "text", "--patient", "p-42"], input=NOTE)
    tokens = re.findall(r"\[NAME-[0-9A-F]{8}\]", first.stdout)
    assert tokens
    assert first.stdout == second.stdout
    assert "Maria" not in first.stdout
    assert "3/4" not in first.stdout
    vault = Vault.open(settings)
    try:
        assert vault.reidentify(patient, first.stdout) == NOTE
    finally:
        vault.close()


def test_eval_synth_json_on_a_fixture(app: typer.Typer, tmp_path: Path) -> None:
    from tests.phi.test_synth_cohort import NOTE as SYNTH_NOTE
    from tests.phi.test_synth_cohort import write_fixture

    start = SYNTH_NOTE.index("Bill Rice")
    write_fixture(
        tmp_path,
        [{"where": "DocumentReference/n1", "start": start, "end": start + len("Bill Rice")}],
    )
    args = ["deid", "eval", "--format", "synth", str(tmp_path), "--json", "--no-members"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["level"] == "token"
    assert report["overall"]["support"] == 2
    assert report["overall"]["recall"] == 1.0


@pytest.fixture
def session_ensemble(monkeypatch: pytest.MonkeyPatch, detector: PhiDetector) -> None:
    """``EnsembleDetector.from_settings`` over the session's presidio detector."""
    from clinvault.phi.ensemble import EnsembleDetector
    from clinvault.phi.nursing_rules import NursingRulesDetector
    from clinvault.phi.safe_words import SafeWords

    def build(cls: type[EnsembleDetector], _settings: object) -> EnsembleDetector:
        safe = SafeWords.packaged()
        return cls([("presidio", detector), ("rules", NursingRulesDetector(safe))], safe)

    monkeypatch.setattr(EnsembleDetector, "from_settings", classmethod(build))


@pytest.mark.usefixtures("session_ensemble")
def test_eval_synth_reports_each_member_the_ensemble_and_a_candidate(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinvault.phi.nursing_rules import NursingRulesDetector
    from tests.phi.test_synth_cohort import NOTE as SYNTH_NOTE
    from tests.phi.test_synth_cohort import write_fixture

    start = SYNTH_NOTE.index("Bill Rice")
    write_fixture(
        tmp_path,
        [{"where": "DocumentReference/n1", "start": start, "end": start + len("Bill Rice")}],
    )
    monkeypatch.setattr(
        deid, "_candidates", lambda _s, philter: [("philter", NursingRulesDetector())] * philter
    )
    args = ["deid", "eval", "--format", "synth", str(tmp_path), "--philter"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["detector"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["presidio", "rules", "philter", "ensemble", "ensemble+philter"]
    for row in rows.values():
        assert row["level"] == "token"
        assert row["overall"]["support"] == 2
    assert rows["ensemble"]["overall"]["recall"] == 1.0
    assert rows["ensemble"]["overall"]["recall"] >= rows["rules"]["overall"]["recall"]
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "recall per dataset label" in table.stdout
    assert "overall" in table.stdout


def test_eval_reports_unusable_input_without_a_traceback(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(app, ["deid", "eval", str(bad)])
    assert result.exit_code == 2
    assert "not JSON" in result.output


def test_pin_model_prints_pins_that_verify() -> None:
    root = typer.Typer()
    deid.register(root)
    result = CliRunner().invoke(root, ["deid", "pin-model", PhiSettings().spacy_model])
    assert result.exit_code == 0, result.output
    pins = PhiSettings().model_pins_file
    assert pins is not None
    assert result.stdout.strip() in pins.read_text()


@pytest.mark.usefixtures("session_ensemble")
def test_eval_nursing_compares_members_ensemble_and_baseline(app: typer.Typer) -> None:
    args = ["deid", "eval", "--format", "nursing", "--notes", "4", "--no-baseline"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["detector"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"presidio", "rules", "ensemble"}
    ensemble = rows["ensemble"]
    assert ensemble["recall"]["overall"]["support"] > 10
    assert (
        ensemble["recall"]["overall"]["recall"] >= rows["presidio"]["recall"]["overall"]["recall"]
    )
    assert 0 < ensemble["utility"]["share_kept"] <= 1
    assert ensemble["notes_per_second"] > 0
    table = CliRunner().invoke(app, [*args, "--held-back"])
    assert table.exit_code == 0, table.output
    assert "held-back slice" in table.stdout
    assert "clinical terms kept" in table.stdout


def test_eval_needs_a_path_except_for_nursing(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["deid", "eval", "--format", "presidio"])
    assert result.exit_code == 2
    assert "path" in result.output
