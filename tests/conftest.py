"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

import clinvault  # noqa: F401  (applies offline defaults before heavy imports)
from clinvault.db import make_engine
from clinvault.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "CLINVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
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
    return Settings.load(home=home)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; in CI its absence is an error, elsewhere a skip."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder {SHARED_DATA} is missing in CI")
        pytest.skip(f"shared data folder {SHARED_DATA} is not present")
    return SHARED_DATA


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database per test, for store contract suites: a SQLite file, or a private
    PostgreSQL schema (on ``search_path``, dropped afterwards) so parallel runs never collide.
    Without a PostgreSQL server the postgresql case skips, except in CI where it fails."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'test.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable in CI")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    separator = "&" if "?" in POSTGRES_URL else "?"
    engine = make_engine(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian chromium driven by Playwright (no browser download); in CI its absence is an
    error, elsewhere a skip."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing in CI (make setup installs it)")
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
