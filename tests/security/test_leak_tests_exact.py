"""Issue 19 item 7: leak tests are exact, never flaky. Their homes draw keys and date offsets
from a seeded stream (``tests.leak_seed``), so two builds shift every date the same way; the
production default is not seeded (two homes get different keys and offsets)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clinvault import clock
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from tests.leak_seed import seed_the_cli, seeded_runtime

PATIENTS = [f"leak-{n}" for n in range(6)]
DATES = ["1958-02-11", "2020-01-01", "2024-12-31"]


def _home(root: Path) -> Settings:
    root.mkdir(parents=True)
    return Settings.load(home=root, index={"embedder": {"backend": "hashing"}})


def _shifted(runtime: Runtime) -> dict[str, list[str | None]]:
    vault = runtime.vault
    out: dict[str, list[str | None]] = {}
    for pid in PATIENTS:
        with vault.transaction():
            vault.patient_session(f"Patient/{pid}").flush()
        token = vault.patient_token(f"Patient/{pid}")
        out[pid] = [vault.shift_date_text(token, d) for d in DATES]
    return out


def _build(root: Path, *, seeded: bool) -> tuple[bytes, dict[str, list[str | None]]]:
    settings = _home(root)
    runtime = seeded_runtime(settings) if seeded else Runtime.open(settings)
    with runtime:
        shifted = _shifted(runtime)
    return settings.master_key_file.read_bytes(), shifted


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)


def test_a_seeded_home_shifts_every_date_the_same_way_on_every_build(
    tmp_path: Path, clean_env: None
) -> None:
    key_a, first = _build(tmp_path / "a", seeded=True)
    key_b, second = _build(tmp_path / "b", seeded=True)
    assert key_a == key_b
    assert first == second
    assert all(s is not None and s not in DATES for dates in first.values() for s in dates)
    assert len({json.dumps(dates) for dates in first.values()}) > 1, "offsets differ by patient"


def test_the_production_default_is_not_seeded(tmp_path: Path, clean_env: None) -> None:
    key_a, first = _build(tmp_path / "a", seeded=False)
    key_b, second = _build(tmp_path / "b", seeded=False)
    assert key_a != key_b
    assert first != second
    assert clock.system_random() is os.urandom


def test_seeding_the_cli_is_undone_after_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    import clinvault.runtime as runtime_module

    with monkeypatch.context() as patch:
        seed_the_cli(patch)
        assert runtime_module.system_random() is not os.urandom
    assert runtime_module.system_random() is os.urandom
