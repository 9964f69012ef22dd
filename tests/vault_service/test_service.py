"""The vault service's hardening: mutual TLS, caller allow list with an audit record for a
refused caller, audited re-identification, size limits, rate limits, health endpoints,
PHI-free logs, and the development certificates."""

from __future__ import annotations

import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from clinvault.audit import AuditLog
from clinvault.errors import VaultError
from clinvault.keys import KeyRing
from clinvault.settings import Settings
from clinvault.vault_service.app import RateLimiter
from clinvault.vault_service.certs import make_dev_pki
from tests.vault.conftest import PATIENT, PATIENT_PHI

from .conftest import VaultProcess, start_vault, stop_vault

REF = "Patient/pat-okafor-1"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultProcess]:
    running = start_vault(tmp_path_factory.mktemp("service"))
    yield running
    stop_vault(running)


def _http(service: VaultProcess, caller: str | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(service.pki.ca.cert))
    if caller is not None:
        paths = service.pki.clients[caller]
        context.load_cert_chain(str(paths.cert), str(paths.key))
    return httpx.Client(base_url=service.url, verify=context, timeout=30)


def _audit_records(service: VaultProcess) -> list[tuple[str, str, str, str | None]]:
    settings = Settings.load(home=service.home)
    log = AuditLog.open(settings, KeyRing.load(settings))
    try:
        return [(r.principal, r.outcome, r.reason, r.patient) for r in log.iter_records()]
    finally:
        log.close()


def test_dev_certificates_are_private_and_chain_to_the_ca(tmp_path: Path) -> None:
    pki = make_dev_pki(tmp_path / "certs", clients=("api",))
    assert stat.S_IMODE((tmp_path / "certs").stat().st_mode) == 0o700
    files = [pki.ca.cert, pki.ca.key, pki.server.cert, pki.server.key]
    files += [pki.clients["api"].cert, pki.clients["api"].key]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    ca = x509.load_pem_x509_certificate(pki.ca.cert.read_bytes())
    server = x509.load_pem_x509_certificate(pki.server.cert.read_bytes())
    client = x509.load_pem_x509_certificate(pki.clients["api"].cert.read_bytes())
    server.verify_directly_issued_by(ca)
    client.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    common = client.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    assert [a.value for a in common] == ["api"]


def test_a_client_without_a_certificate_is_refused_by_tls(service: VaultProcess) -> None:
    with _http(service, None) as http, pytest.raises((httpx.HTTPError, ssl.SSLError)):
        http.get("/healthz")


def test_a_certificate_from_another_ca_is_refused_by_tls(
    service: VaultProcess, tmp_path: Path
) -> None:
    other = make_dev_pki(tmp_path / "other", clients=("api",))
    context = ssl.create_default_context(cafile=str(service.pki.ca.cert))
    context.load_cert_chain(str(other.clients["api"].cert), str(other.clients["api"].key))
    with (
        httpx.Client(base_url=service.url, verify=context) as http,
        pytest.raises((httpx.HTTPError, ssl.SSLError)),
    ):
        http.get("/healthz")


def test_an_unknown_caller_gets_a_clear_error_and_an_audit_record(
    service: VaultProcess,
) -> None:
    with service.client("stranger") as stranger, pytest.raises(VaultError, match="unknown caller"):
        stranger.patient_token(REF)
    with _http(service, "stranger") as http:
        response = http.post("/v1/call/counts", json={"args": {}})
    assert response.status_code == 403
    refused = [r for r in _audit_records(service) if r[2] == "unknown-caller"]
    assert refused
    assert all(r[0] == "stranger" and r[1] == "refused" for r in refused)


def test_reidentification_is_audited_with_the_calling_service(service: VaultProcess) -> None:
    with service.client("ingest") as ingest, service.client("api") as api:
        with ingest.transaction():
            session = ingest.patient_session(REF)
            session.pseudonymize(PATIENT)
            session.seal(REF, PATIENT)
            session.flush()
        token = session.patient_token
        scanned = ingest.scan(token, "Chidi Okafor was seen")
        assert "Okafor" not in scanned
        assert ingest.reidentify(token, scanned) == "Chidi Okafor was seen"
        with pytest.raises(VaultError, match="may not read patient data"):
            api.reidentify(token, scanned)
    records = _audit_records(service)
    assert ("ingest", "allowed", "vault-reidentify", token) in records
    assert ("api", "refused", "plain-reveal-refused", token) in records
    assert ("api", "allowed", "vault-reidentify", token) not in records


def test_the_service_log_holds_no_phi(service: VaultProcess) -> None:
    with service.client("ingest") as ingest:
        with ingest.transaction():
            session = ingest.patient_session(REF)
            session.pseudonymize(PATIENT)
            session.flush()
        token = ingest.patient_token(REF)
        ingest.reidentify(token, ingest.scan(token, "Chidi Okafor, MRN-448812, 316-555-0142"))
        with pytest.raises(VaultError):
            ingest.reidentify(ingest.patient_token("Patient/Okafor-unknown"), "Okafor")
    text = service.log.read_text().lower()
    assert "vault ingest reidentify 200" in text
    for value in PATIENT_PHI:
        assert value.lower() not in text, value


def test_size_limit_unknown_methods_and_health(service: VaultProcess) -> None:
    with _http(service, "api") as http:
        big = http.post("/v1/call/scan", content=b"{" + b" " * (5 * 1024 * 1024) + b"}")
        assert big.status_code == 413
        assert http.post("/v1/call/context", json={"args": {}}).status_code == 404
        assert http.post("/v1/call/_store", json={"args": {}}).status_code == 404
        bad = http.post("/v1/call/scan", json={"args": {"nope": 1}})
        assert bad.status_code == 400
        assert "bad arguments" in bad.json()["error"]["message"]
        assert http.post("/v1/session", json={"args": {"scope": REF}}).status_code == 400
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").status_code == 200
        metrics = http.get("/metrics").text
        assert 'clinvault_vault_calls_total{caller="api",route="readyz",status="200"}' in metrics


def test_rate_limit_per_caller() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3.0, clock=lambda: now[0])
    assert [limiter.allow("api") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("ingest")  # its own bucket
    now[0] = 0.5  # one token back
    assert limiter.allow("api")
    assert not limiter.allow("api")
