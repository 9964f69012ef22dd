"""The ask path across the trust boundary (issue 15), on the split deployment of ``split.py``:
a synthetic cohort ingested on the vault's side, served by ``clinvault vault serve`` in a
subprocess with mutual TLS, and asked through a runtime whose ``vault.url`` is the service.

- answers, citations and re-identification match the in-process ones;
- the API process holds no key of the vault: its settings name no master key, its home has
  no ``keys/``, its runtime refuses to load a key ring or open a vault;
- the vault service runs its own authorization before it re-identifies: a compromised API
  process calling the remote client directly cannot re-identify for a principal who may not
  see names, nor read originals or identifiers through the plain calls; each refusal is in
  the vault's own audit chain;
- the API's ``ask`` record points at the vault's record of the re-identification
  (``vault_audit_ref`` = ``vault:<seq>:<hash>``), which points back (``related_response_id``).
"""

from __future__ import annotations

import json
import os

import pytest

from clinvault.audit import AuditLog, AuditRecord
from clinvault.errors import AccessDenied, ConfigError, VaultError
from clinvault.keys import RecordKeys, load_master_key
from clinvault.runtime import Runtime
from clinvault.settings import Settings
from clinvault.vault.client import RevealRequest
from clinvault.vault_service.remote import RemoteVaultClient

from .split import CLINICIAN, OUTSIDER, RESEARCHER, Split

QUESTIONS = (
    "What is the latest HbA1c?",
    "What allergies does the patient have?",
    "What medications is the patient taking?",
)
RESPONSE_ID = "RSP-" + "AB" * 16


def _records(settings: Settings) -> list[AuditRecord]:
    log = AuditLog.open(settings, RecordKeys.load(settings))
    try:
        return list(log.iter_records())
    finally:
        log.close()


def test_asks_through_the_vault_service_match_in_process(split: Split) -> None:
    patient = split.patients[0]
    with Runtime.open(split.vault_side_settings()) as local:
        expected = [local.ask_service().ask(CLINICIAN, patient, q) for q in QUESTIONS]
    with Runtime.open(split.api_settings()) as remote:
        assert isinstance(remote.vault_client, RemoteVaultClient)
        asks = remote.ask_service()
        got = [asks.ask(CLINICIAN, patient, q) for q in QUESTIONS]
        researcher = asks.ask(RESEARCHER, patient, QUESTIONS[2], purpose="HRESCH")
        with pytest.raises(AccessDenied):
            asks.ask(OUTSIDER, patient, QUESTIONS[0])
    for want, have in zip(expected, got, strict=True):
        assert not have.pseudonymous
        assert have.answer == want.answer
        assert [c.reference for c in have.citations] == [c.reference for c in want.citations]
        assert [c.date for c in have.citations] == [c.date for c in want.citations]
        assert have.uncited_statements == want.uncited_statements
    assert researcher.pseudonymous
    assert not any(value in researcher.answer for value in split.needles())


def test_the_api_process_holds_no_key_of_the_vault(split: Split) -> None:
    settings = split.api_settings()
    assert settings.vault.master_key_file is None
    assert settings.vault.master_key_env not in os.environ
    with Runtime.open(settings) as runtime:
        with pytest.raises(ConfigError, match="no master key"):
            runtime.keys  # noqa: B018
        with pytest.raises(ConfigError, match="vault service"):
            runtime.vault  # noqa: B018
        runtime.ask_service().ask(CLINICIAN, split.patients[0], QUESTIONS[0])
        runtime.ask_service().ask(RESEARCHER, split.patients[0], QUESTIONS[0], purpose="HRESCH")
    # the asks opened the API's own audit log and read the shared access store, with the
    # records key; nothing created a key ring or a key file in the API's home
    assert not (split.api_home / "keys").exists()
    files = sorted(p.relative_to(split.api_home).as_posix() for p in split.api_home.rglob("*"))
    assert "keys" not in {f.split("/")[0] for f in files}
    assert not [f for f in files if f.endswith(".key") and f != "certs/client-api.key"]
    with pytest.raises(ConfigError, match="no master key"):
        load_master_key(settings, create=False)
    # the vault's master key is not derivable from what the API holds, and differs from it
    vault_master = load_master_key(split.vault_side_settings(), create=False)
    api_secrets = [p.read_bytes() for p in split.api_home.rglob("*") if p.is_file()]
    api_secrets.append(split.records_key.read_bytes())
    assert not any(vault_master in secret for secret in api_secrets)


def _client(split: Split) -> RemoteVaultClient:
    """The remote client with the API's certificate, used directly: what a compromised API
    process could do with what it holds."""
    settings = split.api_settings()
    return RemoteVaultClient.open(settings)


def test_the_vault_refuses_an_unauthorized_principal_even_if_the_api_side_asks(
    split: Split,
) -> None:
    granted, other = split.patients[0], split.patients[1]
    with _client(split) as api:
        token, other_token = api.patient_token(granted), api.patient_token(other)
        # a token the model might write, and the patient's own name token, as the index has it
        text = api.scan(token, "Seen today.")
        cases = [
            (OUTSIDER, "clinician", "TREAT", token, "reidentify-no-relationship"),
            (CLINICIAN, "clinician", "TREAT", other_token, "reidentify-no-relationship"),
            (RESEARCHER, "researcher", "HRESCH", token, "reidentify-pseudonymous-only"),
            (RESEARCHER, "clinician", "TREAT", token, "reidentify-role-mismatch"),
            (CLINICIAN, "clinician", "HRESCH", token, "reidentify-pseudonymous-only"),
            ("nobody", "clinician", "TREAT", token, "reidentify-unknown-principal"),
        ]
        for n, (principal, role, purpose, patient, reason) in enumerate(cases):
            request = RevealRequest(f"RSP-{n:032X}", principal, role, purpose)
            with pytest.raises(AccessDenied) as refused:
                api.reveal(patient, [text], request=request)
            assert refused.value.reason == reason, (principal, role, purpose)
        # the plain revealing calls are not served to the API's certificate at all
        plain = [
            lambda: api.reidentify(token, text),
            lambda: api.known_values(token),
            lambda: api.patient_resource(token),
            lambda: api.patient_resources(token),
            lambda: api.consent_resources(token),
            lambda: api.source_record(api.resource_token(granted)),
        ]
        for call in plain:
            with pytest.raises(VaultError, match="may not read patient data"):
                call()
        # an original resource, likewise: only for a person the vault authorizes
        patient_resource = api.resource_token(granted)
        outsider = RevealRequest("RSP-" + "CD" * 16, OUTSIDER, "clinician", "TREAT")
        with pytest.raises(AccessDenied):
            api.reveal_record(patient_resource, request=outsider)
        shown = api.pseudonymized_record(patient_resource)
        assert shown is not None
        assert shown.resource["resourceType"] == "Patient"
        assert not any(value in json.dumps(shown.resource) for value in split.needles())
        # the granted clinician is served, for the granted patient
        allowed = RevealRequest(RESPONSE_ID, CLINICIAN, "clinician", "TREAT")
        assert api.reveal(token, [text], request=allowed).audit_ref is not None
        original = api.reveal_record(patient_resource, request=allowed)
        assert original is not None
        assert original.reference == granted
        assert any(value in json.dumps(original.resource) for value in split.needles())
    vault_records = _records(split.vault_side_settings())
    refused_reasons = {
        (r.principal, r.reason, r.related_response_id)
        for r in vault_records
        if r.outcome == "refused" and r.client == "api"
    }
    for n, (principal, _role, _purpose, _patient, reason) in enumerate(cases):
        assert (principal, reason, f"RSP-{n:032X}") in refused_reasons
    assert (OUTSIDER, "reidentify-no-relationship", "RSP-" + "CD" * 16) in refused_reasons
    plain_refusals = [r for r in vault_records if r.reason == "plain-reveal-refused"]
    assert len(plain_refusals) >= len(plain)
    assert all(r.principal == "api" and r.outcome == "refused" for r in plain_refusals)


def test_the_api_audit_record_points_at_the_vault_record(split: Split) -> None:
    patient = split.patients[0]
    with Runtime.open(split.api_settings()) as runtime:
        asks = runtime.ask_service()
        answered = asks.ask(CLINICIAN, patient, QUESTIONS[0])
        streamed = asks.ask_stream(CLINICIAN, patient, QUESTIONS[2])
        "".join(streamed)
        researcher = asks.ask(RESEARCHER, patient, QUESTIONS[0], purpose="HRESCH")
        token = runtime.vault_client.patient_token(patient)
    assert streamed.result is not None
    api_records = {r.response_id: r for r in _records(split.api_settings()) if r.kind == "ask"}
    vault_records = {r.seq: r for r in _records(split.vault_side_settings())}
    for response_id in (answered.response_id, streamed.result.response_id):
        ask = api_records[response_id]
        assert ask.vault_audit_ref is not None, response_id
        _vault, seq, digest = ask.vault_audit_ref.split(":")
        pointed = vault_records[int(seq)]
        assert pointed.hash == digest
        assert (pointed.kind, pointed.outcome, pointed.reason) == (
            "access",
            "allowed",
            "reidentify-grant",
        )
        assert pointed.related_response_id == response_id
        assert (pointed.principal, pointed.role, pointed.purpose) == (
            CLINICIAN,
            "clinician",
            "TREAT",
        )
        assert (pointed.patient, pointed.client) == (token, "api")
        # a streamed answer is re-identified piece by piece, and audited once
        assert [r.related_response_id for r in vault_records.values()].count(response_id) == 1
    assert api_records[researcher.response_id].vault_audit_ref is None
    assert researcher.response_id not in {r.related_response_id for r in vault_records.values()}
