"""One contract for every vault store backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinvault.vault.store import PatientRow, QuarantineRow, ResourceRow, TokenRow
from clinvault.vault.store_sql import SqlVaultStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _patient(token: str = "PT-1") -> PatientRow:
    return PatientRow(token, f"hash-{token}", b"dek", b"off", NOW)


def test_patient_round_trip(store: SqlVaultStore) -> None:
    store.put_patient(_patient())
    row = store.get_patient("PT-1")
    assert row is not None
    assert (row.patient_token, row.wrapped_dek, row.offset_ct) == ("PT-1", b"dek", b"off")
    assert store.get_patient("PT-2") is None
    assert [p.patient_token for p in store.patients()] == ["PT-1"]


def test_tokens_upsert_and_lookup(store: SqlVaultStore) -> None:
    store.put_patient(_patient())
    store.put_tokens([TokenRow("PT-1", "[NAME-1]", "vh1", "NAME", b"ct1")])
    store.put_tokens([TokenRow("PT-1", "[NAME-1]", "vh1", "NAME", b"ct1")])  # idempotent
    assert len(store.tokens_of("PT-1")) == 1
    found = store.get_token("PT-1", "[NAME-1]")
    assert found is not None
    assert found.value_ct == b"ct1"
    assert store.get_token("PT-2", "[NAME-1]") is None


def test_resource_replace_keeps_one_row(store: SqlVaultStore) -> None:
    store.put_patient(_patient())
    first = ResourceRow("r1", "PT-1", "Observation", "RES-1", "h1", b"c1", ("a", "b"), NOW)
    store.put_resources([first])
    store.put_resources(
        [ResourceRow("r1", "PT-1", "Observation", "RES-1", "h2", b"c2", ("c",), NOW)]
    )
    row = store.get_resource("r1")
    assert row is not None
    assert row.content_hash == "h2"
    assert row.chunk_ids == ("c",)
    assert store.resource_by_token("RES-1") == row
    assert set(store.get_resources(["r1", "zz"])) == {"r1"}
    assert store.counts()["resources"] == 1


def test_transaction_is_atomic(store: SqlVaultStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.put_patient(_patient())
        raise RuntimeError("boom")
    assert store.get_patient("PT-1") is None


def test_erase_removes_every_row_of_the_patient(store: SqlVaultStore) -> None:
    store.put_patient(_patient("PT-1"))
    store.put_patient(_patient("PT-2"))
    store.put_tokens(
        [
            TokenRow("PT-1", "[NAME-1]", "vh", "NAME", b"x"),
            TokenRow("PT-2", "[NAME-1]", "vh", "NAME", b"y"),
        ]
    )
    store.put_resources([ResourceRow("r1", "PT-1", "Observation", "RES-1", "h", b"c", (), NOW)])
    store.put_lookups([("lk", "PT-1"), ("lk", "PT-2")])
    assert store.erase_patient("PT-1") == 4
    assert store.get_patient("PT-1") is None
    assert store.tokens_of("PT-1") == []
    assert store.find_patients("lk") == ["PT-2"]
    assert store.get_patient("PT-2") is not None


def test_quarantine_rows(store: SqlVaultStore) -> None:
    row_id = store.add_quarantine(QuarantineRow(None, NOW, "Observation", b"", b"", b"", "PT-1"))
    store.seal_quarantine(row_id, message_ct=b"m", where_ct=b"w", resource_ct=b"r")
    rows = store.quarantined()
    assert len(rows) == 1
    assert rows[0].id == row_id
    assert (rows[0].message_ct, rows[0].where_ct, rows[0].resource_ct) == (b"m", b"w", b"r")
    assert rows[0].patient_token == "PT-1"
