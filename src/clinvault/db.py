"""One way to open a SQLAlchemy engine, shared by every store (vault, audit, access), and
:func:`open_store`, the one open-with-schema path of the access store and the audit log.

SQLite is the embedded default and PostgreSQL the scale-out backend; any other URL is a
``ConfigError``. For SQLite the database file is created 0600 (its directories 0700), the database
runs in WAL mode with a busy timeout and ``secure_delete`` on, and transactions are begun
explicitly so that
:func:`write_transaction` can take the write lock up front (``BEGIN IMMEDIATE``).

Transactions:

* :func:`write_transaction` serializes writers. SQLite: ``BEGIN IMMEDIATE`` (one writer at a
  time across threads and processes). PostgreSQL: an ordinary transaction; callers lock the
  rows they read-modify-write with ``SELECT ... FOR UPDATE``.
* :func:`snapshot` reads a consistent view. SQLite: a deferred transaction (WAL gives
  snapshot reads). PostgreSQL: ``REPEATABLE READ``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from clinvault.errors import ConfigError
from clinvault.private_files import private_file

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_S = 30.0
_WRITE_OPTION = "clinvault_write"


def make_engine(url: str) -> Engine:
    """An engine for a ``sqlite://`` or ``postgresql://`` URL (see the module docstring)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("database URL is not a valid SQLAlchemy URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"unsupported database backend {backend!r}; supported: {', '.join(SUPPORTED_BACKENDS)}"
    )


class _Store(Protocol):
    def create_schema(self) -> None: ...


StoreT = TypeVar("StoreT", bound=_Store)


def open_store(url: str, build: Callable[[Engine], StoreT]) -> StoreT:
    """``build(engine)`` over a new engine for ``url``, with its schema created (idempotent):
    how the access store and the audit log open. If building the store or creating its
    schema fails, the engine is disposed before the error propagates."""
    engine = make_engine(url)
    try:
        store = build(engine)
        store.create_schema()
    except BaseException:
        engine.dispose()
        raise
    return store


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the write lock (SQLite) from its first statement."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one consistent state of the database."""
    with engine.connect() as connection:
        if not is_sqlite(connection):
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    in_memory = not database or database == ":memory:"
    if in_memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        private_file(Path(str(database)))  # 0600 in 0700 dirs, before SQLite creates it 0644
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    _install_sqlite_transaction_control(engine, wal=not in_memory)
    return engine


def _install_sqlite_transaction_control(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not the sqlite3 module, emit BEGIN (the documented pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, whatever the build
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
