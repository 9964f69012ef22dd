"""Erasure reaches every store (issue 16, issue 19 item 5): ``clinvault patient erase``.

One cohort (Anna, Bert) per test module, ingested with the hashing embedder; Anna is erased
through the CLI. Afterwards: no vault row, index point, grant or care-team link of hers
remains; her sealed rows (taken from the vault before, as a backup would hold them) open
with no key the system still has; the bytes of her ciphertexts are in no file under the
home (``secure_delete`` and ``VACUUM``); her planted identifiers are in no file; an ask about
her is an audited ``patient-erased`` refusal; re-ingesting her is refused unless
``--allow-reingest``, which is audited.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from clinvault import crypto
from clinvault.audit import AuditRecord
from clinvault.cli.main import app
from clinvault.errors import AccessDenied, VaultError
from clinvault.runtime import Runtime
from clinvault.vault.store import ResourceRow
from clinvault.vault.store_sql import SqlVaultStore
from tests.ask.ask_factories import OTHER_ID, PATIENT_ID, REAL_VALUES, write_bundle
from tests.ask.conftest import CLINICIAN, SHM, Cohort, build_cohort

ANNA = f"Patient/{PATIENT_ID}"


def _cli(cohort: Cohort, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=cohort.env)


def _records(cohort: Cohort) -> list[AuditRecord]:
    with Runtime.open(cohort.settings()) as runtime:
        return list(runtime.audit_log.iter_records())


@pytest.fixture(scope="module")
def erased() -> Iterator[tuple[Cohort, list[ResourceRow], bytes]]:
    """The cohort after Anna's erasure, with her sealed rows and wrapped data key as they
    were before it."""
    root = Path(tempfile.mkdtemp(prefix="clinvault-erase-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            cohort = build_cohort(root)
            with Runtime.open(cohort.settings()) as runtime:
                token = cohort.patient_token
                runtime.ask_service().ask(CLINICIAN, ANNA, "latest HbA1c?")
                bad = {"resourceType": "Observation", "id": "bad", "subject": {"reference": ANNA}}
                runtime.vault.quarantine("late.json#entry[0]", "Observation", "invalid", bad)
                runtime.vault.quarantine("late.json#entry[1]", "Observation", "invalid", {})
                store = SqlVaultStore(cohort.settings().vault_url)
                rows = store.resources_of(token)
                wrapped = store.get_patient(token).wrapped_dek  # type: ignore[union-attr]
                store.close()
                assert runtime.index.count(token) > 0
            result = _cli(
                cohort, "patient", "erase", "--patient", PATIENT_ID,
                "--reason", "patient-request", "--yes",
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            yield cohort, rows, wrapped
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_nothing_of_the_patient_is_left_in_vault_index_or_access(
    erased: tuple[Cohort, list[ResourceRow], bytes],
) -> None:
    cohort, _, _ = erased
    token = cohort.patient_token
    with Runtime.open(cohort.settings()) as runtime:
        vault = runtime.vault
        assert vault.is_erased(token)
        assert not vault.has_patient(token)
        assert vault.find_patient("MRN", "MRN7731902") == []
        assert vault.find_patient("patient", ANNA) == []
        assert runtime.index.count(token) == 0
        assert [q["where"] for q in vault.quarantined()] == ["late.json#entry[1]"]
        assert not runtime.access_store.has_grant(CLINICIAN, ANNA)
        assert runtime.access_store.has_grant(CLINICIAN, f"Patient/{OTHER_ID}")
        other = vault.patient_token(f"Patient/{OTHER_ID}")
        assert runtime.index.count(other) > 0
        for read in (vault.reidentify, vault.shift_date_text):
            with pytest.raises(VaultError):
                read(token, "x")
        assert vault.patient_resource(other) is not None


def test_sealed_rows_open_with_no_key_the_system_still_has(
    erased: tuple[Cohort, list[ResourceRow], bytes],
) -> None:
    cohort, rows, _ = erased
    assert rows
    with Runtime.open(cohort.settings()) as runtime:
        ring = runtime.keys
        keys = [ring.kek, ring.kek_wrap, ring.token, ring.blind, ring.audit, ring.access]
        store = SqlVaultStore(cohort.settings().vault_url)
        try:
            for patient in store.patients():  # every other patient's data key
                keys.append(runtime.vault._keks.unwrap(patient))
        finally:
            store.close()
    opened = 0
    for key in keys:
        sealer = crypto.Sealer(key, os.urandom)
        for row in rows:
            aad = f"resource|{cohort.patient_token}|{row.record_id}".encode()
            try:
                sealer.open(row.resource_ct, aad)
                opened += 1
            except VaultError:
                pass
    assert opened == 0
    assert len(keys) >= 7


def test_no_file_under_the_home_holds_her_ciphertext_or_identifiers(
    erased: tuple[Cohort, list[ResourceRow], bytes],
) -> None:
    cohort, rows, wrapped = erased
    needles = [row.resource_ct[-32:] for row in rows] + [wrapped[-32:]]
    for value in REAL_VALUES:
        needles += [value.encode(), value.encode("utf-16-le")]
    found = []
    for path in cohort.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [path.name for needle in needles if needle in data]
    assert found == []


def test_an_ask_about_her_is_an_audited_erased_refusal(
    erased: tuple[Cohort, list[ResourceRow], bytes],
) -> None:
    cohort, _, _ = erased
    with Runtime.open(cohort.settings()) as runtime:
        with pytest.raises(AccessDenied) as refused:
            runtime.ask_service().ask(CLINICIAN, ANNA, "latest HbA1c?")
        assert refused.value.reason == "patient-erased"
    records = _records(cohort)
    admin = [r for r in records if r.kind == "admin"]
    assert [(r.reason, r.purpose, r.patient) for r in admin] == [
        ("patient-erased", "patient-request", cohort.patient_token)
    ]
    assert records[-1].reason == "patient-erased"
    assert records[-1].outcome == "refused"
    assert any(r.kind == "ask" and r.outcome == "answered" for r in records)  # history kept
    assert _cli(cohort, "audit", "verify").exit_code == 0


def test_reingest_is_refused_unless_allowed_and_then_audited(
    erased: tuple[Cohort, list[ResourceRow], bytes], tmp_path: Path
) -> None:
    cohort, _, _ = erased
    bundle = write_bundle(tmp_path / "again")
    refused = _cli(cohort, "ingest", str(bundle))
    assert refused.exit_code != 0
    assert "erased" in refused.output
    with Runtime.open(cohort.settings()) as runtime:
        assert not runtime.vault.has_patient(cohort.patient_token)

    allowed = _cli(cohort, "ingest", "--allow-reingest", str(bundle))
    assert allowed.exit_code == 0, allowed.output
    with Runtime.open(cohort.settings()) as runtime:
        assert runtime.vault.has_patient(cohort.patient_token)
        assert not runtime.vault.is_erased(cohort.patient_token)
    (back,) = [r for r in _records(cohort) if r.reason == "reingest-after-erasure"]
    assert back.patient == cohort.patient_token
