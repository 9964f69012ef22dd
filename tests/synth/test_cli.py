"""``clinvault synth`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from clinvault.cli.synth import register
from clinvault.synth import TRUTH_FILE


def app() -> typer.Typer:
    application = typer.Typer()
    register(application)

    @application.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing to a single command
        """Nothing."""

    return application


def test_synth_writes_bundles_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    result = CliRunner().invoke(
        app(), ["synth", "--patients", "3", "--seed", "9", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = (out / TRUTH_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        record = json.loads(line)
        bundle = json.loads((out / record["file"]).read_text(encoding="utf-8"))
        assert bundle["type"] == "transaction"
    assert "wrote 3 bundles" in result.output


def test_synth_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    runner = CliRunner()
    assert runner.invoke(app(), ["synth", "-n", "2", "--out", str(out)]).exit_code == 0
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = runner.invoke(app(), ["synth", "-n", "1", "--out", str(out)])
    assert refused.exit_code == 2
    assert "not empty" in refused.output
    replaced = runner.invoke(
        app(), ["synth", "-n", "1", "--seed", "4", "--out", str(out), "--force"]
    )
    assert replaced.exit_code == 0, replaced.output
    names = sorted(p.name for p in out.iterdir())
    assert names.count(TRUTH_FILE) == 1
    assert "notes.txt" in names
    assert len(names) == 3


def test_synth_reference_date_option(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    result = CliRunner().invoke(
        app(), ["synth", "-n", "1", "--out", str(out), "--today", "2031-02-01"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads((out / TRUTH_FILE).read_text(encoding="utf-8"))
    assert record["demographics"]["birth_date"] <= "2031-02-01"
    dates = [lab["date"] for lab in record["facts"]["latest_labs"].values()]
    assert dates
    assert max(dates) > "2030-01-01"


def test_synth_rejects_zero_patients(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["synth", "-n", "0", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
