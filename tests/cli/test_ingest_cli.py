"""``clinvault ingest`` output: the progress bar on stderr, the summary table (counts, then the
seconds per stage and the rates) on stdout, ``--quiet`` with neither; ``--workers``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort

runner = CliRunner()

COUNT_ROWS = (
    "resources read",
    "resources stored",
    "resources unchanged",
    "chunks indexed",
    "rejected (quarantined)",
)
TIME_ROWS = ("read s", "validate s", "detect s", "embed s", "write s", "wall s")
RATE_ROWS = ("resources/s", "chunks/s")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cohort")
    write_cohort(SynthConfig(patients=2, seed=3), out, force=True)
    return out


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CLINVAULT_HOME": str(settings.home),
        "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing",
        "CLINVAULT_INGEST__DETECT_PHI": "false",
    }


def _row(output: str, label: str) -> str:
    found = re.search(rf"│\s*{re.escape(label)}[^│]*│\s*([0-9.]+)\s*│", output)
    assert found, f"no '{label}' row in:\n{output}"
    return found.group(1)


def _resources(cohort: Path) -> int:
    return sum(len(json.loads(path.read_text())["entry"]) for path in sorted(cohort.glob("*.json")))


def test_summary_table_counts_and_stage_times(settings: Settings, cohort: Path) -> None:
    result = runner.invoke(app, ["ingest", "--workers", "0", str(cohort)], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert int(_row(result.stdout, "resources read")) == _resources(cohort)
    assert int(_row(result.stdout, "resources stored")) == _resources(cohort)
    assert int(_row(result.stdout, "resources unchanged")) == 0
    assert int(_row(result.stdout, "chunks indexed")) > 0
    for label in COUNT_ROWS:
        _row(result.stdout, label)
    seconds = {label: float(_row(result.stdout, label)) for label in TIME_ROWS}
    assert seconds["wall s"] > 0
    assert seconds["wall s"] >= seconds["read s"] + seconds["write s"]
    assert seconds["validate s"] > 0
    assert seconds["embed s"] > 0
    for label in RATE_ROWS:
        assert float(_row(result.stdout, label)) > 0
    # the one progress bar, on stderr, in resources, with the rate
    assert "ingest: " in result.stderr
    assert "resources/s" in result.stderr
    assert f"{_resources(cohort)}/{_resources(cohort)}" in result.stderr

    again = runner.invoke(app, ["ingest", "--workers", "0", str(cohort)], env=_env(settings))
    assert again.exit_code == 0, again.output
    assert int(_row(again.stdout, "resources unchanged")) == _resources(cohort)
    assert int(_row(again.stdout, "chunks indexed")) == 0


def test_quiet_prints_nothing_but_problems(
    settings: Settings, cohort: Path, tmp_path: Path
) -> None:
    quiet = runner.invoke(
        app, ["ingest", "--quiet", "--workers", "1", str(cohort)], env=_env(settings)
    )
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == ""
    assert quiet.stderr == ""

    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Observation", "id": "x1", "status": 12}')
    rejected = runner.invoke(app, ["ingest", "-q", "--workers", "1", str(bad)], env=_env(settings))
    assert rejected.exit_code == 1, rejected.output
    assert rejected.stdout == ""
    assert "rejected" in rejected.stderr
    assert "bad.json" in rejected.stderr


def test_workers_must_not_be_negative(settings: Settings, cohort: Path) -> None:
    result = runner.invoke(app, ["ingest", "--workers", "-1", str(cohort)], env=_env(settings))
    assert result.exit_code == 2
    assert "--workers" in result.output
