"""SQLAlchemy Core implementation of :class:`~clinvault.vault.store.VaultStore`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from clinvault.db import make_engine
from clinvault.errors import VaultError
from clinvault.vault.store import KekRow, PatientRow, QuarantineRow, ResourceRow, TokenRow


def _tables(metadata: MetaData, prefix: str) -> dict[str, Table]:
    return {
        "patients": Table(
            f"{prefix}patients",
            metadata,
            Column("patient_token", String(32), primary_key=True),
            Column("source_hash", String(64), nullable=False, unique=True),
            Column("wrapped_dek", LargeBinary, nullable=False),
            Column("offset_ct", LargeBinary, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("kek_version", Integer, nullable=False, server_default="1"),
        ),
        "keks": Table(
            f"{prefix}keks",
            metadata,
            Column("version", Integer, primary_key=True, autoincrement=False),
            Column("state", String(16), nullable=False),
            Column("wrapped_key", LargeBinary, nullable=True),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("destroyed_at", DateTime(timezone=True), nullable=True),
        ),
        "erasures": Table(
            f"{prefix}erasures",
            metadata,
            Column("patient_token", String(32), primary_key=True),
            Column("erased_at", DateTime(timezone=True), nullable=False),
        ),
        "tokens": Table(
            f"{prefix}tokens",
            metadata,
            Column("patient_token", String(32), primary_key=True),
            Column("token", String(40), primary_key=True),
            Column("value_hash", String(64), nullable=False, index=True),
            Column("kind", String(16), nullable=False),
            Column("value_ct", LargeBinary, nullable=False),
        ),
        "resources": Table(
            f"{prefix}resources",
            metadata,
            Column("record_id", String(64), primary_key=True),
            Column("patient_token", String(32), nullable=False, index=True),
            Column("resource_type", String(64), nullable=False),
            Column("resource_token", String(32), nullable=False, unique=True),
            Column("content_hash", String(64), nullable=False),
            Column("resource_ct", LargeBinary, nullable=False),
            Column("chunk_ids", Text, nullable=False),
            Column("updated_at", DateTime(timezone=True), nullable=False),
        ),
        "lookups": Table(
            f"{prefix}lookups",
            metadata,
            Column("lookup_hash", String(64), primary_key=True),
            Column("patient_token", String(32), primary_key=True),
        ),
        "quarantine": Table(
            f"{prefix}quarantine",
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("resource_type", String(64), nullable=False),
            Column("message", Text, nullable=False),  # legacy plain message; "" when sealed
            Column("where_ct", LargeBinary, nullable=False),
            Column("resource_ct", LargeBinary, nullable=False),
            Column("message_ct", LargeBinary, nullable=True),
            Column("patient_token", String(32), nullable=True),
        ),
    }


class SqlVaultStore:
    """SQLite or PostgreSQL, by URL. ``prefix`` names the tables (tests use one per run)."""

    def __init__(self, url: str, *, prefix: str = "vault_") -> None:
        self.engine = make_engine(url)
        self.metadata = MetaData()
        self.t = _tables(self.metadata, prefix)
        self.metadata.create_all(self.engine)
        _add_kek_version_column(self.engine, self.t["patients"])
        _add_quarantine_columns(self.engine, self.t["quarantine"])
        self._conn: Connection | None = None
        self._insert = (
            postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        )

    # -- connection handling ------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._conn is not None:  # nested: join the outer transaction
            yield
            return
        with self.engine.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def _upsert(self, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
        if not rows:
            return
        stmt = self._insert(table)
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
        stmt = (
            stmt.on_conflict_do_update(index_elements=list(keys), set_=update)
            if update
            else stmt.on_conflict_do_nothing(index_elements=list(keys))
        )
        with self._connection() as conn:
            conn.execute(stmt, list(rows))

    # -- patients -----------------------------------------------------------------------------

    def get_patient(self, patient_token: str) -> PatientRow | None:
        t = self.t["patients"]
        with self._connection() as conn:
            row = (
                conn.execute(select(t).where(t.c.patient_token == patient_token)).mappings().first()
            )
        return PatientRow(**row) if row else None

    def put_patient(self, row: PatientRow) -> None:
        with self._connection() as conn:
            conn.execute(self.t["patients"].insert().values(**_as_dict(row)))

    def patients(self) -> Iterator[PatientRow]:
        t = self.t["patients"]
        with self._connection() as conn:
            rows = conn.execute(select(t).order_by(t.c.patient_token)).mappings().all()
        for row in rows:
            yield PatientRow(**row)

    def erase_patient(self, patient_token: str) -> int:
        deleted = 0
        with self._connection() as conn:
            for name in ("tokens", "resources", "lookups", "patients"):
                t = self.t[name]
                deleted += conn.execute(
                    delete(t).where(t.c.patient_token == patient_token)
                ).rowcount
        return deleted

    def add_erasure(self, patient_token: str, erased_at: datetime) -> None:
        self._upsert(
            self.t["erasures"],
            [{"patient_token": patient_token, "erased_at": erased_at}],
            ("patient_token",),
        )

    def is_erased(self, patient_token: str) -> bool:
        t = self.t["erasures"]
        with self._connection() as conn:
            found = conn.execute(
                select(t.c.patient_token).where(t.c.patient_token == patient_token)
            ).first()
        return found is not None

    def remove_erasure(self, patient_token: str) -> None:
        t = self.t["erasures"]
        with self._connection() as conn:
            conn.execute(delete(t).where(t.c.patient_token == patient_token))

    def compact(self) -> None:
        if self.engine.dialect.name != "sqlite" or self._conn is not None:
            return
        raw = self.engine.raw_connection()  # VACUUM runs outside any transaction
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("VACUUM")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                cursor.close()
        finally:
            raw.close()

    # -- key-encryption-key versions ----------------------------------------------------------

    def keks(self) -> list[KekRow]:
        t = self.t["keks"]
        with self._connection() as conn:
            rows = conn.execute(select(t).order_by(t.c.version)).mappings().all()
        return [KekRow(**r) for r in rows]

    def put_kek(self, row: KekRow) -> None:
        self._upsert(self.t["keks"], [_as_dict(row)], ("version",))

    def set_wrapped_dek(self, patient_token: str, kek_version: int, wrapped_dek: bytes) -> None:
        t = self.t["patients"]
        with self._connection() as conn:
            conn.execute(
                update(t)
                .where(t.c.patient_token == patient_token)
                .values(kek_version=kek_version, wrapped_dek=wrapped_dek)
            )

    def patients_not_on(self, kek_version: int, limit: int) -> list[PatientRow]:
        t = self.t["patients"]
        with self._connection() as conn:
            rows = (
                conn.execute(
                    select(t)
                    .where(t.c.kek_version != kek_version)
                    .order_by(t.c.patient_token)
                    .limit(limit)
                )
                .mappings()
                .all()
            )
        return [PatientRow(**r) for r in rows]

    def kek_counts(self) -> dict[int, int]:
        t = self.t["patients"]
        with self._connection() as conn:
            rows = conn.execute(
                select(t.c.kek_version, func.count()).group_by(t.c.kek_version)
            ).all()
        return {int(version): int(count) for version, count in rows}

    # -- tokens -------------------------------------------------------------------------------

    def tokens_of(self, patient_token: str) -> list[TokenRow]:
        t = self.t["tokens"]
        with self._connection() as conn:
            rows = (
                conn.execute(select(t).where(t.c.patient_token == patient_token)).mappings().all()
            )
        return [TokenRow(**r) for r in rows]

    def get_token(self, patient_token: str, token: str) -> TokenRow | None:
        t = self.t["tokens"]
        with self._connection() as conn:
            row = (
                conn.execute(
                    select(t).where(t.c.patient_token == patient_token, t.c.token == token)
                )
                .mappings()
                .first()
            )
        return TokenRow(**row) if row else None

    def put_tokens(self, rows: Sequence[TokenRow]) -> None:
        self._upsert(self.t["tokens"], [_as_dict(r) for r in rows], ("patient_token", "token"))

    # -- resources ----------------------------------------------------------------------------

    def _resource(self, row: Any) -> ResourceRow:
        data = dict(row)
        data["chunk_ids"] = tuple(json.loads(data["chunk_ids"]))
        return ResourceRow(**data)

    def get_resource(self, record_id: str) -> ResourceRow | None:
        return self.get_resources([record_id]).get(record_id)

    def get_resources(self, record_ids: Sequence[str]) -> dict[str, ResourceRow]:
        t = self.t["resources"]
        found: dict[str, ResourceRow] = {}
        with self._connection() as conn:
            for start in range(0, len(record_ids), 500):
                batch = list(record_ids[start : start + 500])
                for row in conn.execute(select(t).where(t.c.record_id.in_(batch))).mappings():
                    found[row["record_id"]] = self._resource(row)
        return found

    def resource_by_token(self, resource_token: str) -> ResourceRow | None:
        t = self.t["resources"]
        with self._connection() as conn:
            row = (
                conn.execute(select(t).where(t.c.resource_token == resource_token))
                .mappings()
                .first()
            )
        return self._resource(row) if row else None

    def resources_of(self, patient_token: str) -> list[ResourceRow]:
        t = self.t["resources"]
        with self._connection() as conn:
            rows = (
                conn.execute(select(t).where(t.c.patient_token == patient_token)).mappings().all()
            )
        return [self._resource(r) for r in rows]

    def put_resources(self, rows: Sequence[ResourceRow]) -> None:
        values = []
        for row in rows:
            data = _as_dict(row)
            data["chunk_ids"] = json.dumps(list(row.chunk_ids))
            values.append(data)
        self._upsert(self.t["resources"], values, ("record_id",))

    # -- blind index --------------------------------------------------------------------------

    def put_lookups(self, pairs: Sequence[tuple[str, str]]) -> None:
        rows = [{"lookup_hash": h, "patient_token": p} for h, p in dict.fromkeys(pairs)]
        self._upsert(self.t["lookups"], rows, ("lookup_hash", "patient_token"))

    def find_patients(self, lookup_hash: str) -> list[str]:
        t = self.t["lookups"]
        with self._connection() as conn:
            return list(
                conn.execute(
                    select(t.c.patient_token).where(t.c.lookup_hash == lookup_hash)
                ).scalars()
            )

    # -- quarantine ---------------------------------------------------------------------------

    def add_quarantine(self, row: QuarantineRow) -> int:
        data = _as_dict(row)
        data.pop("id")
        with self._connection() as conn:
            result = conn.execute(self.t["quarantine"].insert().values(**data))
        key = result.inserted_primary_key
        if key is None:
            raise VaultError("the quarantine row got no id")
        return int(key[0])

    def seal_quarantine(
        self, row_id: int, *, message_ct: bytes, where_ct: bytes, resource_ct: bytes
    ) -> None:
        t = self.t["quarantine"]
        with self._connection() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == row_id)
                .values(message_ct=message_ct, where_ct=where_ct, resource_ct=resource_ct)
            )

    def quarantined(self) -> list[QuarantineRow]:
        t = self.t["quarantine"]
        with self._connection() as conn:
            rows = conn.execute(select(t).order_by(t.c.id)).mappings().all()
        return [QuarantineRow(**r) for r in rows]

    def delete_quarantine(
        self, *, patient_token: str | None = None, before: datetime | None = None
    ) -> int:
        if (patient_token is None) == (before is None):
            raise ValueError("delete quarantine rows by patient or by age, not both or neither")
        t = self.t["quarantine"]
        where = t.c.patient_token == patient_token if before is None else t.c.created_at < before
        with self._connection() as conn:
            return int(conn.execute(delete(t).where(where)).rowcount)

    def counts(self) -> dict[str, int]:
        with self._connection() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in self.t.items()
            }

    def close(self) -> None:
        self.engine.dispose()

    def drop_all(self) -> None:
        """Remove this store's tables (tests)."""
        self.metadata.drop_all(self.engine)


def _add_kek_version_column(engine: Engine, patients: Table) -> None:
    """Vaults made before KEK versions: their data keys are all wrapped by version 1."""
    columns = {c["name"] for c in inspect(engine).get_columns(patients.name)}
    if "kek_version" not in columns:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"ALTER TABLE {patients.name} ADD COLUMN kek_version INTEGER NOT NULL DEFAULT 1"
            )


def _add_quarantine_columns(engine: Engine, quarantine: Table) -> None:
    """Vaults made before quarantine messages were sealed: their rows keep the plain message
    (read as legacy rows) until the operator empties the quarantine."""
    columns = {c["name"] for c in inspect(engine).get_columns(quarantine.name)}
    missing = [
        f"{name} {kind}"
        for name, kind in (
            ("message_ct", "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"),
            ("patient_token", "VARCHAR(32)"),
        )
        if name not in columns
    ]
    with engine.begin() as conn:
        for column in missing:
            conn.exec_driver_sql(f"ALTER TABLE {quarantine.name} ADD COLUMN {column}")


def _as_dict(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}
