"""Same seed, same bytes; another seed, other data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clinvault.synth import TRUTH_FILE, SynthConfig, generate_cohort, write_cohort


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    first = write_cohort(SynthConfig(patients=6, seed=42), tmp_path / "a")
    second = write_cohort(SynthConfig(patients=6, seed=42), tmp_path / "b")
    assert first.patients == second.patients == 6
    a, b = folder_bytes(tmp_path / "a"), folder_bytes(tmp_path / "b")
    assert len(a) == 7
    assert TRUTH_FILE in a
    assert a == b


def test_different_seed_gives_different_patients(tmp_path: Path) -> None:
    write_cohort(SynthConfig(patients=4, seed=1), tmp_path / "a")
    write_cohort(SynthConfig(patients=4, seed=2), tmp_path / "b")
    a, b = folder_bytes(tmp_path / "a"), folder_bytes(tmp_path / "b")
    assert set(a) - {TRUTH_FILE} != set(b) - {TRUTH_FILE}
    assert a[TRUTH_FILE] != b[TRUTH_FILE]


def test_a_patient_does_not_depend_on_cohort_size() -> None:
    small = list(generate_cohort(SynthConfig(patients=3, seed=5)))
    large = list(generate_cohort(SynthConfig(patients=8, seed=5)))
    assert [p.bundle_text() for p in small] == [p.bundle_text() for p in large[:3]]


def test_reference_date_is_configurable_and_bounds_every_date() -> None:
    today = date(2030, 1, 15)
    for patient in generate_cohort(SynthConfig(patients=10, seed=3, today=today)):
        text = patient.bundle_text()
        assert "2030-01-1" in text or "2029-" in text
        for entry in patient.bundle["entry"]:
            resource = entry["resource"]
            for key in ("effectiveDateTime", "authoredOn", "occurrenceDateTime", "date"):
                if key in resource:
                    assert resource[key][:10] <= today.isoformat()
