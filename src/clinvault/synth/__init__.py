"""Synthetic FHIR R4 cohorts with ground truth (``clinvault synth``).

One transaction Bundle per patient and a ``truth.jsonl`` line per patient giving the PHI
values and where they appear, and the facts a correct answer states. Deterministic for a seed.

    generate_cohort(SynthConfig(patients=20, seed=7))   -> iterator of SyntheticPatient
    write_cohort(SynthConfig(...), Path("out"))         -> CohortSummary
"""

from clinvault.synth.generator import (
    DEFAULT_TODAY,
    CohortGenerator,
    SynthConfig,
    SyntheticPatient,
    generate_cohort,
)
from clinvault.synth.writer import TRUTH_FILE, CohortSummary, write_cohort

__all__ = [
    "DEFAULT_TODAY",
    "TRUTH_FILE",
    "CohortGenerator",
    "CohortSummary",
    "SynthConfig",
    "SyntheticPatient",
    "generate_cohort",
    "write_cohort",
]
