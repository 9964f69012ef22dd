"""make_engine: supported backends only, private SQLite directories, serialized writers."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clinvault import db
from clinvault.db import make_engine, snapshot, write_transaction
from clinvault.errors import ConfigError


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://x", "not a url"])
def test_unsupported_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_sqlite_parent_directory_is_created_private(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'x.db'}")
    with write_transaction(engine) as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
    engine.dispose()
    mode = stat.S_IMODE((tmp_path / "new" / "deeper").stat().st_mode)
    assert mode == 0o700


def test_existing_directory_permissions_are_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    make_engine(f"sqlite:///{shared / 'x.db'}").dispose()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_write_transaction_takes_the_sqlite_write_lock_up_front(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    with write_transaction(engine) as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        # no statement has run yet inside the transaction, but the write lock is already held
        with write_transaction(engine), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
    finally:
        other.close()
        engine.dispose()


def test_in_memory_sqlite_keeps_its_data_across_connections() -> None:
    engine = make_engine("sqlite://")
    with write_transaction(engine) as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with snapshot(engine) as connection:
        assert connection.execute(text("SELECT a FROM t")).scalar() == 1


def test_open_store_disposes_the_engine_when_the_schema_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[bool] = []
    real_make_engine = db.make_engine

    def spied(url: str) -> Engine:
        engine = real_make_engine(url)
        monkeypatch.setattr(engine, "dispose", lambda *a, **k: disposed.append(True))
        return engine

    monkeypatch.setattr(db, "make_engine", spied)

    class Broken:
        def __init__(self, engine: Engine) -> None:
            self.engine = engine

        def create_schema(self) -> None:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        db.open_store(f"sqlite:///{tmp_path / 'x.db'}", Broken)
    assert disposed == [True]


def test_open_store_creates_the_schema(tmp_path: Path) -> None:
    class Store:
        def __init__(self, engine: Engine) -> None:
            self.engine = engine
            self.created = False

        def create_schema(self) -> None:
            self.created = True

    store = db.open_store(f"sqlite:///{tmp_path / 'y.db'}", Store)
    assert store.created
    store.engine.dispose()
