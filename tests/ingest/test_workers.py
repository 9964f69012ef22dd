"""Worker processes for validation and PHI detection (``clinvault ingest --workers N``):
the same chunks and vault rows with one worker or two, and no master key in a worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clinvault.cli.main import app
from clinvault.ingest.workers import WorkerPool
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort
from tests.leak_seed import seed_the_cli

from .homes import chunks, hashing_settings, opened, vault_rows

runner = CliRunner()
KEY_ENV = "CLINVAULT_MASTER_KEY"


def _environment(name: str) -> str | None:
    """Runs in a worker: what it sees of ``name``."""
    return os.environ.get(name)


def test_workers_start_without_the_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "c2VjcmV0LWtleS1ub3QtZm9yLXdvcmtlcnMtMDEyMzQ1Njc=")
    with WorkerPool(2, None, hidden_env=(KEY_ENV,)) as pool:
        seen = [pool.executor.submit(_environment, KEY_ENV).result() for _ in range(4)]
        assert seen == [None] * 4
        assert os.environ[KEY_ENV]  # this process keeps it


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(0, None)


@pytest.mark.slow
def test_two_workers_ingest_exactly_what_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    """With the PHI detector on (its spans come back from the workers) and groups of two
    patients (the next group's notes are detected while one is written)."""
    cohort = tmp_path / "cohort"
    write_cohort(SynthConfig(patients=4, seed=8), cohort, force=True)
    homes = {n: tmp_path / f"workers-{n}" for n in (1, 2)}
    for workers, home in homes.items():
        seed_the_cli(monkeypatch)  # the same keys and date offsets in both homes
        env = {
            "CLINVAULT_HOME": str(home),
            "CLINVAULT_INDEX__EMBEDDER__BACKEND": "hashing",
            "CLINVAULT_INGEST__GROUP_PATIENTS": "2",
        }
        result = runner.invoke(app, ["ingest", "--workers", str(workers), str(cohort)], env=env)
        assert result.exit_code == 0, result.output
        assert float(result.stdout.split("detect s")[1].split("│")[1]) > 0  # workers detected
    one, two = (hashing_settings(homes[n]) for n in (1, 2))
    points = chunks(two)
    assert len(points) > 100
    assert any(p["kind"] == "note" for p in points)
    assert points == chunks(one)
    assert vault_rows(two) == vault_rows(one)
    assert opened(two) == opened(one)
