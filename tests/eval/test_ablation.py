"""The privacy ablation: a 2-patient synthetic cohort evaluated with pseudonymization on and
off (hashing embedder, the default litellm client and its offline evidence model), through
``clinvault eval ablation``. The off arm's index really holds the patients' names, the on
arm's none; anything that is not ``clinvault synth`` output is refused."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from clinvault.ask import AskService
from clinvault.cli.main import app
from clinvault.errors import UnusableInputError
from clinvault.eval.ablation.cohort import SyntheticCohort, open_synthetic_cohort
from clinvault.eval.ablation.run import arm_settings
from clinvault.eval.ablation.unpseudonymized import Unpseudonymized
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort
from tests.leak_seed import seed_the_cli

pytestmark = pytest.mark.slow
PATIENTS = 2


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ablation") / "cohort"
    write_cohort(SynthConfig(patients=3, seed=5), folder)
    return folder


@pytest.fixture(scope="module")
def ablation(synth: Path) -> Iterator[tuple[Path, Path, Settings]]:
    root = synth.parent
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        patch.setenv("CLINVAULT_HOME", str(root / "not-used"))
        patch.setenv("CLINVAULT_INDEX__EMBEDDER__BACKEND", "hashing")
        patch.setenv("CLINVAULT_INGEST__DETECT_PHI", "false")
        seed_the_cli(patch)  # leak rates from the same keys and offsets on every run
        outcome = CliRunner().invoke(
            app,
            [
                "eval",
                "ablation",
                "--cohort",
                str(synth),
                "--patients",
                str(PATIENTS),
                "--out",
                str(root / "out"),
                "--work",
                str(root / "work"),
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        yield root / "out", root / "work", Settings.load()


def _names(truth_file: Path) -> dict[str, list[str]]:
    """Full names known to each patient's record, by ``Patient/<id>``."""
    out = {}
    for line in truth_file.read_text().splitlines()[:PATIENTS]:
        record = json.loads(line)
        names = [p["value"] for p in record["phi"] if p["type"] == "NAME" and p["known_to_record"]]
        out[f"Patient/{record['patient_id']}"] = names
    return out


def _index_texts(settings: Settings, patient: str) -> list[str]:
    with Runtime.open(settings) as runtime:
        token = runtime.vault.patient_token(patient)
        return [chunk.text for chunk in runtime.index.scroll(token)]


def test_the_switch_really_switches_pseudonymization(
    ablation: tuple[Path, Path, Settings], synth: Path
) -> None:
    _out, work, base = ablation
    names = _names(synth / "truth.jsonl")
    assert all(names.values())
    for patient, patient_names in names.items():
        on = _index_texts(arm_settings(base, work / "pseudonymized"), patient)
        off = _index_texts(arm_settings(base, work / "unpseudonymized"), patient)
        assert on
        assert off
        assert not [t for t in on for n in patient_names if n in t]
        assert [t for t in off for n in patient_names if n in t]
    assert not (base.home / "vault").exists(), "the ablation must not touch CLINVAULT_HOME"


def test_reports_and_deltas(ablation: tuple[Path, Path, Settings]) -> None:
    out, _work, _base = ablation
    summary: dict[str, Any] = json.loads((out / "ablation.json").read_text())
    on = json.loads((out / "pseudonymized" / "report.json").read_text())
    off = json.loads((out / "unpseudonymized" / "report.json").read_text())
    assert on["run"]["arm"] == "pseudonymized"
    assert off["run"]["arm"] == "unpseudonymized"
    assert on["run"]["items"] == off["run"]["items"] > 0
    # The free-text PHI detector is off here (speed): a value only a note states may stay
    # in the on arm's index, so only the known identifiers are expected to be gone from it.
    assert on["overall"]["index_leak_rate"] < off["overall"]["index_leak_rate"]
    assert on["overall"]["prompt_leak_rate"] < off["overall"]["prompt_leak_rate"]
    # Output: the on arm never leaks. Whether the off arm's answers quote a name depends on
    # the questions: since name/address questions read the Patient resource (which renders
    # no name), this tiny cohort's off-arm answers may hold none.
    assert on["overall"]["output_leak_rate"] == 0.0 <= off["overall"]["output_leak_rate"]
    metrics = summary["metrics"]
    assert set(metrics) == set(on["overall"])
    for metric, row in metrics.items():
        a, b = row["pseudonymized"], row["unpseudonymized"]
        if a is None or b is None:
            assert row["delta"] is None
        else:
            assert row["delta"] == pytest.approx(a - b, abs=1e-6), metric
    assert metrics["prompt_leak_rate"]["delta"] < 0
    assert metrics["answer_correct"]["delta"] is not None
    html = (out / "ablation.html").read_text()
    assert 'id="ablation-deltas"' in html
    assert "<script" not in html
    for arm in ("pseudonymized", "unpseudonymized"):
        assert (out / arm / "report.html").is_file()


def _bundle_only(synth: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "real-looking"
    folder.mkdir()
    first = json.loads((synth / "truth.jsonl").read_text().splitlines()[0])["file"]
    shutil.copyfile(synth / first, folder / first)
    return folder


def test_command_refuses_a_folder_without_synthetic_truth(synth: Path, tmp_path: Path) -> None:
    folder = _bundle_only(synth, tmp_path)
    outcome = CliRunner().invoke(
        app, ["eval", "ablation", "--cohort", str(folder), "--out", str(tmp_path / "o")]
    )
    assert outcome.exit_code == 2
    assert "not a synthetic cohort" in outcome.output
    assert not (tmp_path / "o").exists()


def test_refuses_unlisted_files_and_mismatched_bundles(synth: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(synth, mixed)
    (mixed / "hospital-export.ndjson").write_text("{}\n")
    with pytest.raises(UnusableInputError, match="not listed"):
        open_synthetic_cohort(mixed)
    swapped = tmp_path / "swapped"
    shutil.copytree(synth, swapped)
    lines = (swapped / "truth.jsonl").read_text().splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    first["file"], second["file"] = second["file"], first["file"]
    lines[0], lines[1] = json.dumps(first), json.dumps(second)
    (swapped / "truth.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(UnusableInputError, match="Patient is not the one"):
        open_synthetic_cohort(swapped)


def test_the_off_switch_needs_a_verified_cohort(synth: Path, settings: Settings) -> None:
    cohort = open_synthetic_cohort(synth, 1)
    assert len(cohort.bundles) == 1
    assert len(cohort.truth) == 1
    with pytest.raises(TypeError):
        SyntheticCohort(synth, cohort.bundles, cohort.truth, object())
    with pytest.raises(TypeError):
        Unpseudonymized(synth)  # type: ignore[arg-type]
    with Runtime.open(settings) as runtime:
        assert type(runtime.ask_service()) is AskService  # the production service: guarded
