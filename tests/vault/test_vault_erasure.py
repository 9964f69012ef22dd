"""Vault erasure: the data key and every row go, the erasure is remembered by token, and
re-ingest is refused unless allowed."""

from __future__ import annotations

import pytest

from clinvault.errors import PatientErased, VaultError
from clinvault.vault import SHARED_SCOPE, Vault
from clinvault.vault.store_sql import SqlVaultStore

from .conftest import PATIENT

REF = "Patient/pat-okafor-1"


def _ingest(vault: Vault) -> str:
    with vault.transaction():
        session = vault.patient_session(REF)
        session.pseudonymize(PATIENT)
        session.seal(REF, PATIENT)
        session.flush()
    return session.patient_token


def test_erase_removes_key_and_rows_and_remembers_the_token(
    vault: Vault, store: SqlVaultStore
) -> None:
    token = _ingest(vault)
    other = vault.patient_session("Patient/other").patient_token
    assert vault.erase(token) > 0
    assert vault.is_erased(token)
    assert not vault.is_erased(other)
    assert store.get_patient(token) is None
    assert store.tokens_of(token) == []
    assert store.resources_of(token) == []
    assert vault.find_patient("MRN", "MRN-448812") == []
    for read in (vault.reidentify, vault.shift_date_text):
        with pytest.raises(PatientErased):
            read(token, "x")
    with pytest.raises(PatientErased):
        vault.patient_resource(token)


def test_reingest_after_erasure_is_refused_unless_allowed(vault: Vault) -> None:
    token = _ingest(vault)
    vault.erase(token)
    with pytest.raises(PatientErased):
        _ingest(vault)
    assert not vault.has_patient(token)

    vault.allow_reingest = True
    assert _ingest(vault) == token
    assert vault.reingested == [token]
    assert not vault.is_erased(token)
    assert vault.patient_resource(token) == PATIENT


def test_the_shared_scope_cannot_be_erased(vault: Vault) -> None:
    with pytest.raises(VaultError):
        vault.erase(vault.patient_token(SHARED_SCOPE))


def test_sqlite_runs_with_secure_delete(store: SqlVaultStore) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite pragma")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_erasure_deletes_the_patients_quarantined_inputs_only(vault: Vault) -> None:
    token = _ingest(vault)
    bad = {"resourceType": "Observation", "id": "o-bad", "subject": {"reference": REF}}
    other = {"resourceType": "Observation", "id": "o-2", "subject": {"reference": "Patient/x"}}
    vault.quarantine("in.json#entry[3]", "Observation", "invalid", bad)
    vault.quarantine("in.json#entry[4]", "Observation", "invalid", other)
    vault.quarantine("in.json#entry[5]", "Observation", "invalid", {"resourceType": "Observation"})
    assert vault.counts()["quarantine"] == 3
    vault.erase(token)
    assert [row["where"] for row in vault.quarantined()] == ["in.json#entry[4]", "in.json#entry[5]"]


def test_purge_removes_quarantined_inputs_past_retention(vault: Vault) -> None:
    for n in range(4):  # the vault's test clock steps one second per reading
        vault.quarantine(f"in.json#entry[{n}]", "Observation", "invalid", {"n": n})
    cutoff = vault.quarantined()[2]["created_at"]
    from datetime import datetime

    assert vault.purge_quarantine(datetime.fromisoformat(cutoff)) == 2
    assert [row["where"] for row in vault.quarantined()] == ["in.json#entry[2]", "in.json#entry[3]"]
