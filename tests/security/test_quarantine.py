"""Issue 19 item 5 (quarantine part): each quarantine row is sealed for its own id and the
patient it names, its message is sealed too, and every SQLite connection clinvault opens
zeroes deleted content (``secure_delete``), whatever the SQLite build's default."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from clinvault.clock import FixedClock, seeded_random
from clinvault.db import make_engine
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.settings import Settings
from clinvault.vault import Vault
from clinvault.vault.policy import load_policy
from clinvault.vault.store_sql import SqlVaultStore

MARKER = "Quillfeather-Vantablack"
"""Stands for PHI a validation message can echo (a name in a bad value)."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlVaultStore]:
    s = SqlVaultStore(f"sqlite:///{tmp_path / 'vault' / 'vault.db'}")
    yield s
    s.close()


@pytest.fixture
def vault(store: SqlVaultStore, tmp_path: Path) -> Vault:
    return Vault(
        store=store,
        keys=KeyRing.from_master(bytes(range(32))),
        policy=load_policy(Settings.load(home=tmp_path).vault.policy_file),
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), timedelta(seconds=1)),
        random=seeded_random(5),
    )


def _observation(patient: str, value: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"obs-{patient}",
        "subject": {"reference": f"Patient/{patient}"},
        "valueString": value,
    }


def _quarantine_two(vault: Vault) -> None:
    for n, patient in enumerate(("ada-1", "ben-2")):
        where = f"in/{patient}.json#entry[{n}]"
        message = f"invalid valueString {MARKER}-{n} in {where}"
        vault.quarantine(where, "Observation", message, _observation(patient, f"{MARKER}-{n}"))


def _rows(store: SqlVaultStore) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        t = store.t["quarantine"]
        return [dict(r) for r in conn.execute(t.select().order_by(t.c.id)).mappings()]


def _set(store: SqlVaultStore, row_id: int, **values: Any) -> None:
    t = store.t["quarantine"]
    with store.engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == row_id).values(**values))


def test_quarantined_rows_open_with_their_message_and_place(vault: Vault) -> None:
    _quarantine_two(vault)
    rows = vault.quarantined()
    assert [r["where"] for r in rows] == ["in/ada-1.json#entry[0]", "in/ben-2.json#entry[1]"]
    assert rows[0]["message"] == f"invalid valueString {MARKER}-0 in <where>"


@pytest.mark.parametrize("column", ["where_ct", "resource_ct", "message_ct"])
def test_a_sealed_payload_moved_to_another_row_no_longer_opens(
    vault: Vault, store: SqlVaultStore, column: str
) -> None:
    _quarantine_two(vault)
    first, second = _rows(store)
    if column == "resource_ct":  # read only by the vault's own check below
        _set(store, second["id"], resource_ct=first["resource_ct"])
        row = store.quarantined()[1]
        sealer = vault._quarantine_sealer()  # the resource has no reader yet
        aad = f"quarantine|{row.id}|{row.patient_token}".encode()
        with pytest.raises(VaultError):
            sealer.open(row.resource_ct, aad + b"|resource")
        return
    _set(store, second["id"], **{column: first[column]})
    with pytest.raises(VaultError):
        vault.quarantined()


def test_a_row_reattributed_to_another_patient_no_longer_opens(
    vault: Vault, store: SqlVaultStore
) -> None:
    _quarantine_two(vault)
    first, second = _rows(store)
    assert first["patient_token"] == vault.patient_token("Patient/ada-1")
    assert second["patient_token"] == vault.patient_token("Patient/ben-2")
    _set(store, first["id"], patient_token=second["patient_token"])
    with pytest.raises(VaultError):
        vault.quarantined()


def test_a_row_whose_patient_is_unknown_is_bound_to_its_id(
    vault: Vault, store: SqlVaultStore
) -> None:
    vault.quarantine("in/a.ndjson#line 3", "Bundle", "not JSON", {"garbage": True})
    vault.quarantine("in/b.ndjson#line 4", "Bundle", "not JSON", {"garbage": True})
    first, second = _rows(store)
    assert first["patient_token"] is None
    _set(store, second["id"], where_ct=first["where_ct"])
    with pytest.raises(VaultError):
        vault.quarantined()


def test_the_message_is_not_in_the_database_files(vault: Vault, tmp_path: Path) -> None:
    _quarantine_two(vault)
    assert len(vault.quarantined()) == 2
    for path in (tmp_path / "vault").iterdir():
        data = path.read_bytes()
        for needle in (MARKER, "invalid valueString"):
            assert needle.encode() not in data, (path.name, needle)
            assert needle.encode("utf-16-le") not in data, (path.name, needle)


def test_a_legacy_row_with_a_plain_message_still_reads(store: SqlVaultStore, vault: Vault) -> None:
    sealer = vault._quarantine_sealer()  # write a row as the old code did
    t = store.t["quarantine"]
    with store.engine.begin() as conn:
        conn.execute(
            t.insert().values(
                created_at=datetime(2025, 1, 1, tzinfo=UTC),
                resource_type="Observation",
                message="bad value in <where>",
                where_ct=sealer.seal(b"old/file.json", b"quarantine|where"),
                resource_ct=sealer.seal(b"{}", b"quarantine|resource"),
            )
        )
    (row,) = vault.quarantined()
    assert row["message"] == "bad value in <where>"
    assert row["where"] == "old/file.json"


def _secure_delete(url: str) -> tuple[int, list[str]]:
    """The PRAGMA's value on a new connection, and the statements clinvault ran while
    connecting (traced from before its own connect hook), so the test does not depend on
    how this machine's SQLite was built."""
    engine = make_engine(url)
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "connect", trace, insert=True)
    try:
        with engine.connect() as conn:
            value = int(conn.execute(text("PRAGMA secure_delete")).scalar_one())
        return value, statements
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", ["file", "memory"])
def test_every_sqlite_connection_sets_secure_delete_explicitly(tmp_path: Path, name: str) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}" if name == "file" else "sqlite://"
    value, statements = _secure_delete(url)
    assert value == 1
    assert any(
        s.replace(" ", "").casefold() in ("pragmasecure_delete=on", "pragmasecure_delete=1")
        for s in statements
    ), statements


def test_the_vault_store_connection_sets_secure_delete(store: SqlVaultStore) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar_one() == 1
