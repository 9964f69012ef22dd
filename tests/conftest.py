"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import clinvault  # noqa: F401  (applies offline defaults before heavy imports)
from clinvault.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CLINVAULT_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings isolated under a temporary CLINVAULT_HOME, environment cleared of overrides."""
    for name in list(os.environ):
        if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
            monkeypatch.delenv(name)
    yield Settings.load(home=home)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; in CI its absence is an error, elsewhere a skip."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder {SHARED_DATA} is missing in CI")
        pytest.skip(f"shared data folder {SHARED_DATA} is not present")
    return SHARED_DATA
