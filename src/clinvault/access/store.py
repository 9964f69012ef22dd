"""Principals, grants and care-team links in SQL (SQLite or PostgreSQL), nothing in plaintext.

Look-ups go through blind indexes (``RecordKeys.blind_index``): ``access-user`` for user
names, ``patient-ref`` and ``practitioner-ref`` for normalized references (see
:mod:`clinvault.access.refs`). A grant is keyed by the patient reference's blind index, so it
can be given before or after the patient is ingested. Names and references are also
sealed (AES-GCM, AAD bound to the row) so ``list`` can show them to an administrator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from clinvault import crypto
from clinvault.access.principal import Principal, Role, check_user_name, parse_role
from clinvault.access.refs import patient_reference, practitioner_reference
from clinvault.access.schema import AccessTables, access_tables
from clinvault.clock import Clock, RandomBytes, SystemClock, system_random
from clinvault.db import is_sqlite, open_store, write_transaction
from clinvault.errors import InputError
from clinvault.keys import RecordKeySource

AAD_PREFIX = "clinvault/access/v1"


@dataclass(frozen=True, slots=True)
class UserSummary:
    principal: Principal
    grants: int


class AccessStore:
    def __init__(
        self,
        engine: Engine,
        keys: RecordKeySource,
        *,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
    ) -> None:
        self._engine = engine
        self._keys = keys
        self._clock = clock or SystemClock()
        self._sealer = crypto.Sealer(keys.access, random or system_random())
        self._tables: AccessTables = access_tables()

    @classmethod
    def open(
        cls,
        url: str,
        keys: RecordKeySource,
        *,
        clock: Clock | None = None,
        random: RandomBytes | None = None,
    ) -> AccessStore:
        """The store at ``url`` (``Settings.access_url``), schema created if missing. A process
        opens it through :class:`clinvault.runtime.Runtime`, which owns the key ring."""
        return open_store(url, lambda engine: cls(engine, keys, clock=clock, random=random))

    def create_schema(self) -> None:
        self._tables.metadata.create_all(self._engine)

    def close(self) -> None:
        self._engine.dispose()

    # Principals ------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, practitioner: str | None = None) -> Principal:
        """Register a user; ``InputError`` if the name is taken or malformed."""
        principal = Principal(
            check_user_name(name),
            parse_role(role),
            None if practitioner is None else practitioner_reference(practitioner),
        )
        user_bidx = self._user_bidx(principal.name)
        practitioner_bidx = (
            None
            if principal.practitioner is None
            else self._practitioner_bidx(principal.practitioner)
        )
        row = {
            "user_bidx": user_bidx,
            "user_sealed": self._seal(principal.name, "user", user_bidx),
            "role": principal.role.value,
            "practitioner_bidx": practitioner_bidx,
            "practitioner_sealed": None
            if principal.practitioner is None
            else self._seal(principal.practitioner, "practitioner", user_bidx),
            "created_at": self._now(),
        }
        try:
            with write_transaction(self._engine) as connection:
                connection.execute(self._tables.principals.insert().values(row))
        except IntegrityError:
            raise InputError("a user with this name already exists") from None
        return principal

    def principal(self, name: str) -> Principal | None:
        principals = self._tables.principals
        with self._engine.connect() as connection:
            row = connection.execute(
                select(principals).where(principals.c.user_bidx == self._user_bidx(name))
            ).first()
        return None if row is None else self._principal_from(row._mapping)

    def users(self) -> list[UserSummary]:
        principals, grants = self._tables.principals, self._tables.grants
        counts = (
            select(grants.c.user_bidx, func.count().label("n"))
            .group_by(grants.c.user_bidx)
            .subquery()
        )
        query = select(principals, counts.c.n).outerjoin(
            counts, counts.c.user_bidx == principals.c.user_bidx
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        summaries = [
            UserSummary(self._principal_from(row._mapping), int(row._mapping["n"] or 0))
            for row in rows
        ]
        return sorted(summaries, key=lambda s: s.principal.name)

    # Grants ----------------------------------------------------------------------------------

    def grant(self, user: str, patient: str) -> bool:
        """Grant ``user`` access to a patient; ``False`` if the grant already existed."""
        principal = self._existing(user)
        if principal.role != Role.CLINICIAN:
            raise InputError("grants apply to clinicians; researchers never see identities")
        reference = patient_reference(patient)
        user_bidx, patient_bidx = self._user_bidx(user), self._patient_bidx(reference)
        row = {
            "user_bidx": user_bidx,
            "patient_bidx": patient_bidx,
            "patient_sealed": self._seal(reference, "grant", f"{user_bidx}:{patient_bidx}"),
            "granted_at": self._now(),
        }
        with write_transaction(self._engine) as connection:
            inserted = self._insert_ignore(connection, self._tables.grants, row)
        return inserted

    def revoke(self, user: str, patient: str) -> bool:
        """Remove a grant; ``False`` if there was none."""
        self._existing(user)
        grants = self._tables.grants
        with write_transaction(self._engine) as connection:
            result = connection.execute(
                delete(grants).where(
                    grants.c.user_bidx == self._user_bidx(user),
                    grants.c.patient_bidx == self._patient_bidx(patient_reference(patient)),
                )
            )
        return result.rowcount > 0

    def granted_patients(self, user: str) -> list[str]:
        """The patient references ``user`` holds grants for (for administrators)."""
        grants = self._tables.grants
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(grants).where(grants.c.user_bidx == self._user_bidx(user))
            ).all()
        references = [
            self._open(row.patient_sealed, "grant", f"{row.user_bidx}:{row.patient_bidx}")
            for row in rows
        ]
        return sorted(references)

    def has_grant(self, user: str, patient: str) -> bool:
        grants = self._tables.grants
        query = select(
            exists().where(
                grants.c.user_bidx == self._user_bidx(user),
                grants.c.patient_bidx == self._patient_bidx(patient_reference(patient)),
            )
        )
        with self._engine.connect() as connection:
            return bool(connection.execute(query).scalar())

    # Care teams ------------------------------------------------------------------------------

    def record_care_team(self, patient_ref: str, practitioner_refs: Iterable[str]) -> int:
        """Link practitioners to a patient (additive, idempotent); returns links added.

        Called by ingestion with references read from FHIR (``generalPractitioner``,
        ``CareTeam`` participants, encounter participants). Only ``Practitioner``
        references are accepted; anything else is an ``InputError`` (filter first).
        """
        patient_bidx = self._patient_bidx(patient_reference(patient_ref))
        practitioner_bidxs = {
            self._practitioner_bidx(practitioner_reference(ref)) for ref in practitioner_refs
        }
        added = 0
        with write_transaction(self._engine) as connection:
            for practitioner_bidx in sorted(practitioner_bidxs):
                row = {"patient_bidx": patient_bidx, "practitioner_bidx": practitioner_bidx}
                added += self._insert_ignore(connection, self._tables.care_team, row)
        return added

    def in_care_team(self, practitioner: str, patient: str) -> bool:
        care_team = self._tables.care_team
        query = select(
            exists().where(
                care_team.c.patient_bidx == self._patient_bidx(patient_reference(patient)),
                care_team.c.practitioner_bidx
                == self._practitioner_bidx(practitioner_reference(practitioner)),
            )
        )
        with self._engine.connect() as connection:
            return bool(connection.execute(query).scalar())

    def forget_patient(self, patient: str) -> int:
        """Erasure: every grant and care-team link of this patient goes (the grants hold the
        patient's reference sealed); returns rows deleted."""
        patient_bidx = self._patient_bidx(patient_reference(patient))
        deleted = 0
        with write_transaction(self._engine) as connection:
            for table in (self._tables.grants, self._tables.care_team):
                result = connection.execute(
                    delete(table).where(table.c.patient_bidx == patient_bidx)
                )
                deleted += result.rowcount
        return deleted

    # Internals -------------------------------------------------------------------------------

    def _existing(self, user: str) -> Principal:
        principal = self.principal(user)
        if principal is None:
            raise InputError("no such user")
        return principal

    @staticmethod
    def _insert_ignore(connection: Connection, target: Table, row: Mapping[str, object]) -> bool:
        dialect_insert = sqlite.insert if is_sqlite(connection) else postgresql.insert
        statement = dialect_insert(target).values(row).on_conflict_do_nothing()
        # rowcount is unreliable for ON CONFLICT DO NOTHING across drivers; RETURNING is not.
        inserted = connection.execute(statement.returning(*target.primary_key.columns)).first()
        return inserted is not None

    def _principal_from(self, mapping: Mapping[Any, Any]) -> Principal:
        user_bidx = str(mapping["user_bidx"])
        sealed_practitioner = mapping["practitioner_sealed"]
        return Principal(
            name=self._open(mapping["user_sealed"], "user", user_bidx),
            role=Role(str(mapping["role"])),
            practitioner=None
            if sealed_practitioner is None
            else self._open(sealed_practitioner, "practitioner", user_bidx),
        )

    def _user_bidx(self, name: str) -> str:
        return self._keys.blind_index("access-user", name)

    def _patient_bidx(self, reference: str) -> str:
        return self._keys.blind_index("patient-ref", reference)

    def _practitioner_bidx(self, reference: str) -> str:
        return self._keys.blind_index("practitioner-ref", reference)

    def _seal(self, value: str, field: str, row_key: str) -> bytes:
        return self._sealer.seal(value.encode("utf-8"), self._aad(field, row_key))

    def _open(self, blob: bytes, field: str, row_key: str) -> str:
        return self._sealer.open(bytes(blob), self._aad(field, row_key)).decode("utf-8")

    @staticmethod
    def _aad(field: str, row_key: str) -> bytes:
        return f"{AAD_PREFIX}\x1f{field}\x1f{row_key}".encode()

    def _now(self) -> str:
        return self._clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
