"""Control ids already accepted, so a resent message is ACKed without a second write.

Stored under ``CLINVAULT_HOME/mllp/seen.sqlite`` as keyed hashes (``KeyRing.blind_index``
of sending facility + application + control id): the file names no message. A control id
is recorded only after its message was sealed and indexed, right before the AA.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from clinvault.db import make_engine

METADATA = MetaData()
ACCEPTED = Table("mllp_accepted", METADATA, Column("key", String(64), primary_key=True))


class SeenControlIds:
    def __init__(self, path: Path, keyed_hash: Callable[[str, str], str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = make_engine(f"sqlite:///{path}")
        METADATA.create_all(self._engine)
        self._hash = keyed_hash

    def _key(self, facility: str, application: str, control_id: str) -> str:
        return self._hash("mllp-control-id", f"{facility}\x1f{application}\x1f{control_id}")

    def seen(self, facility: str, application: str, control_id: str) -> bool:
        key = self._key(facility, application, control_id)
        with self._engine.connect() as connection:
            return (
                connection.execute(select(ACCEPTED.c.key).where(ACCEPTED.c.key == key)).first()
                is not None
            )

    def add(self, facility: str, application: str, control_id: str) -> None:
        key = self._key(facility, application, control_id)
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(ACCEPTED).values(key=key))
        except IntegrityError:
            return  # accepted twice at once: one record is enough

    def close(self) -> None:
        self._engine.dispose()
