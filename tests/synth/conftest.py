"""Cohorts shared by the synth tests (generated once per session: generation is pure)."""

from __future__ import annotations

import pytest

from clinvault.synth import SynthConfig, SyntheticPatient, generate_cohort

SEEDS = (1, 2, 3)
"""Seeds of the cohorts of 20 every test checks."""


@pytest.fixture(scope="session")
def cohorts() -> dict[int, list[SyntheticPatient]]:
    return {seed: list(generate_cohort(SynthConfig(patients=20, seed=seed))) for seed in SEEDS}


@pytest.fixture(scope="session")
def cohort(cohorts: dict[int, list[SyntheticPatient]]) -> list[SyntheticPatient]:
    return cohorts[1]
