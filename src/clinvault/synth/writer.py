"""Writes a cohort: ``<patient-id>.json`` per patient, then ``truth.jsonl``.

Each file is written to a temporary name and renamed, and ``truth.jsonl`` comes last, so a
folder with a ``truth.jsonl`` always holds a complete cohort.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from clinvault.errors import InputError
from clinvault.synth.generator import SynthConfig, SyntheticPatient, generate_cohort

TRUTH_FILE = "truth.jsonl"
_BUNDLE_NAME = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$")


@dataclass(frozen=True)
class CohortSummary:
    out_dir: Path
    patients: int
    resources: int


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _previous_cohort_files(out_dir: Path) -> list[Path]:
    return [
        path
        for path in out_dir.iterdir()
        if path.name == TRUTH_FILE or _BUNDLE_NAME.match(path.name)
    ]


def prepare_output(out_dir: Path, *, force: bool) -> None:
    """Create ``out_dir``; refuse a non-empty one unless ``force`` (which replaces a previous
    cohort's files and nothing else)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("output path exists and is not a folder", where=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    if not any(out_dir.iterdir()):
        return
    if not force:
        raise InputError(
            "output folder is not empty; pass --force to replace a previous cohort",
            where=str(out_dir),
        )
    for path in _previous_cohort_files(out_dir):
        path.unlink()


def write_cohort(
    config: SynthConfig,
    out_dir: Path,
    *,
    force: bool = False,
    on_patient: Callable[[SyntheticPatient], None] | None = None,
) -> CohortSummary:
    prepare_output(out_dir, force=force)
    truth_lines: list[str] = []
    resources = 0
    for patient in generate_cohort(config):
        _write_atomic(out_dir / patient.file_name, patient.bundle_text())
        truth_lines.append(patient.truth_line())
        resources += len(patient.bundle["entry"])
        if on_patient is not None:
            on_patient(patient)
    _write_atomic(out_dir / TRUTH_FILE, "".join(truth_lines))
    return CohortSummary(out_dir, len(truth_lines), resources)
