"""The ablation's off arm ingests a verified synthetic cohort without pseudonymization, from
the public ingest stages, while the shipped pipeline cannot do so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinvault.eval.ablation.cohort import open_synthetic_cohort
from clinvault.eval.ablation.unpseudonymized_ingest import UnpseudonymizedIngest
from clinvault.ingest.pipeline import IngestPipeline
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.synth import SynthConfig, write_cohort


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    embedder = settings.index.embedder.model_copy(update={"backend": "hashing"})
    return settings.model_copy(
        update={
            "index": settings.index.model_copy(update={"embedder": embedder}),
            "ingest": settings.ingest.model_copy(update={"detect_phi": False}),
        }
    )


@pytest.fixture
def cohort_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cohort"
    write_cohort(SynthConfig(patients=1, seed=5), folder)
    return folder


def _family_name(folder: Path) -> tuple[str, str]:
    truth = json.loads((folder / "truth.jsonl").read_text().splitlines()[0])
    names = [p["value"] for p in truth["phi"] if p["type"] == "NAME" and p["known_to_record"]]
    return f"Patient/{truth['patient_id']}", names[0]


def _indexed(settings: Settings, folder: Path, *, off: bool) -> tuple[str, list[str]]:
    with Runtime.open(settings) as runtime:
        parts = {
            "settings": settings,
            "vault": runtime.vault,
            "embedder": runtime.embedder,
            "index": runtime.index,
        }
        if off:
            cohort = open_synthetic_cohort(folder)
            pipeline: IngestPipeline = UnpseudonymizedIngest(**parts, cohort=cohort)  # type: ignore[arg-type]
        else:
            pipeline = IngestPipeline(**parts)  # type: ignore[arg-type]
        report = pipeline.run([folder])
        assert report.chunks_indexed > 0
        ref, _ = _family_name(folder)
        known = [k.value for k in runtime.vault.known_values(runtime.vault.patient_token(ref))]
        return json.dumps([c.payload() for c in runtime.index.scroll()]), known


def test_the_off_arm_indexes_the_originals_and_the_vault_still_learns(
    fast_settings: Settings, cohort_folder: Path, tmp_path: Path
) -> None:
    _, name = _family_name(cohort_folder)
    off_index, off_known = _indexed(fast_settings, cohort_folder, off=True)
    on_settings = fast_settings.model_copy(update={"home": tmp_path / "on-home"})
    on_index, on_known = _indexed(on_settings, cohort_folder, off=False)
    assert name in off_index
    assert name not in on_index
    assert name in off_known
    assert sorted(off_known) == sorted(on_known)


def test_the_off_arm_needs_a_verified_cohort(fast_settings: Settings, cohort_folder: Path) -> None:
    with Runtime.open(fast_settings) as runtime, pytest.raises(TypeError):
        UnpseudonymizedIngest(
            settings=fast_settings,
            vault=runtime.vault,
            embedder=runtime.embedder,
            index=runtime.index,
            cohort=cohort_folder,  # type: ignore[arg-type]
        )
