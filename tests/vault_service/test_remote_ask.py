"""The ask path against the vault service: a cohort ingested in-process (ingest reads raw
records, so it runs on the vault's side of the trust boundary), then served by
``clinvault vault serve`` in a subprocess with mutual TLS, and asked through a runtime whose
``vault.url`` is the service's ``https://`` address. The answers, citations and
re-identification match the in-process ones; the vault service audits each re-identification
in its own chain; the runtime refuses to open an in-process vault in remote mode."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinvault.audit import AuditLog
from clinvault.errors import AccessDenied, ConfigError
from clinvault.keys import KeyRing
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault_service.remote import RemoteVaultClient
from tests.ask.ask_factories import MRN, NAME_FAMILY, PATIENT_ID
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN, RESEARCHER, Cohort, build_cohort

from .conftest import VaultProcess, start_vault, stop_vault

PATIENT = f"Patient/{PATIENT_ID}"
QUESTIONS = (
    "What is the latest HbA1c?",
    "What allergies does she have?",
    f"What medications is {NAME_FAMILY} taking?",
)


@pytest.fixture(scope="module")
def split() -> Iterator[tuple[Cohort, VaultProcess]]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        root = Path(tempfile.mkdtemp(prefix="clinvault-split-"))
        try:
            cohort = build_cohort(root)
            cohort.home.chmod(0o700)
            service = start_vault(root, home=cohort.home)
            try:
                yield cohort, service
            finally:
                stop_vault(service)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _remote_settings(cohort: Cohort, service: VaultProcess) -> Settings:
    client = service.pki.clients["api"]
    vault = {
        "url": service.url,
        "tls_ca": service.pki.ca.cert,
        "tls_cert": client.cert,
        "tls_key": client.key,
    }
    return cohort.settings(vault=vault)


def test_asks_through_the_vault_service_match_in_process(
    split: tuple[Cohort, VaultProcess],
) -> None:
    cohort, service = split
    with Runtime.open(cohort.settings()) as local:
        expected = [local.ask_service().ask(CLINICIAN, PATIENT, q) for q in QUESTIONS]
    with Runtime.open(_remote_settings(cohort, service)) as remote:
        assert isinstance(remote.vault_client, RemoteVaultClient)
        with pytest.raises(ConfigError, match="vault service"):
            remote.vault  # noqa: B018
        asks = remote.ask_service()
        got = [asks.ask(CLINICIAN, PATIENT, q) for q in QUESTIONS]
        researcher = asks.ask(RESEARCHER, PATIENT, QUESTIONS[2], purpose="HRESCH")
        with pytest.raises(AccessDenied):
            asks.ask(CARE_TEAM_LESS, PATIENT, QUESTIONS[0])
    for want, have in zip(expected, got, strict=True):
        assert have.answer == want.answer
        assert [c.reference for c in have.citations] == [c.reference for c in want.citations]
        assert have.grounded
    assert researcher.pseudonymous
    assert NAME_FAMILY not in researcher.answer
    assert MRN not in researcher.answer

    settings = Settings.load(home=cohort.home)
    log = AuditLog.open(settings, KeyRing.load(settings))
    try:
        reasons = [(r.principal, r.reason) for r in log.iter_records() if r.role == "service"]
    finally:
        log.close()
    assert ("api", "vault-reidentify") in reasons
