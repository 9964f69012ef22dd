"""Issue 19 item 6 (API parts): oversized chunked bodies, refusals audited, /metrics behind
a scrape token, and the vault's shared scope never listed as a patient."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from clinvault.audit import AuditEvent, AuditLog
from clinvault.db import make_engine
from clinvault.runtime import Runtime
from clinvault.vault import SHARED_SCOPE
from tests.ask.ask_factories import NAME_FAMILY, PATIENT_ID
from tests.ask.conftest import CLINICIAN, RESEARCHER, SHM, Cohort, build_cohort
from tests.security.api_support import served

METRICS_TOKEN = "scrape-" + "x" * 24


@pytest.fixture(scope="module")
def cohort() -> Iterator[Cohort]:
    """The ask cohort plus a Practitioner of no patient: the vault's shared scope."""
    root = Path(tempfile.mkdtemp(prefix="clinvault-sec-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in __import__("os").environ if n.startswith("CLINVAULT_")]:
            patch.delenv(name)
        try:
            built = build_cohort(root)
            shared = root / "shared" / "practitioner.json"
            shared.parent.mkdir()
            practitioner = {
                "resourceType": "Practitioner",
                "id": "prac-1",
                "name": [{"family": "Oakhurst", "given": ["Mira"]}],
            }
            bundle = {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"fullUrl": "Practitioner/prac-1", "resource": practitioner}],
            }
            shared.write_text(json.dumps(bundle))
            with Runtime.open(built.settings()) as runtime:
                runtime.ingest_pipeline().run([shared])
            yield built
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _chunks(size: int) -> Iterator[bytes]:
    piece = b'{"patient": "' + b"x" * 1000
    sent = 0
    while sent < size:
        yield piece
        sent += len(piece)
    yield b'"}'


def test_an_oversized_chunked_body_is_413(cohort: Cohort) -> None:
    with served(cohort, max_body_bytes=4096) as app:
        headers = {**app.headers(CLINICIAN, "clinician"), "Content-Type": "application/json"}
        response = app.client.post("/v1/chat", content=_chunks(20_000), headers=headers)
        declared = app.client.post("/v1/chat", content=b"{" + b" " * 5000 + b"}", headers=headers)
        rows = app.new_records()
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "request-too-large"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert declared.status_code == 413
    assert [(r.reason, r.principal, r.client) for r in rows] == [
        ("request-too-large", "unauthenticated", "203.0.113.7")
    ]


def test_400_404_413_422_refusals_are_audited_in_aggregate(cohort: Cohort) -> None:
    with served(cohort, max_body_bytes=4096) as app:
        clinician = app.headers(CLINICIAN, "clinician")
        json_headers = {**clinician, "Content-Type": "application/json"}
        no_patient = {"model": "clinvault", "messages": [{"role": "user", "content": "hi"}]}
        statuses = [
            app.client.post("/v1/chat/completions", json=no_patient, headers=clinician),
            app.client.get(f"/v1/no-such-path/{NAME_FAMILY}"),
            app.client.get(f"/v1/no-such-path/{NAME_FAMILY}"),
            app.client.get(f"/v1/no-such-path/{NAME_FAMILY}"),
            app.client.post("/v1/chat", content=b"x" * 5000, headers=json_headers),
            app.client.post("/v1/chat", json={"question": 5}, headers=clinician),
            app.client.post("/v1/chat", content=b"\xff\xfe not utf-8", headers=json_headers),
        ]
        before_flush = [(r.reason, r.count, r.principal) for r in app.new_records()]
        app.flush_refusals()
        records = app.new_records()
    rows = [(r.reason, r.count, r.principal) for r in records]
    assert [s.status_code for s in statuses] == [400, 404, 404, 404, 413, 422, 422]
    assert before_flush == [
        ("patient-required", 1, CLINICIAN),
        ("not-found", 1, "unauthenticated"),
        ("request-too-large", 1, "unauthenticated"),
        ("invalid-request", 1, CLINICIAN),
        ("invalid-body", 1, "unauthenticated"),  # a body that is not JSON: before the token
    ]
    assert rows == [*before_flush, ("not-found", 2, "unauthenticated")]
    for record in records:
        assert NAME_FAMILY not in json.dumps(record.public_dict())


def test_metrics_needs_the_scrape_token(cohort: Cohort) -> None:
    with served(cohort, metrics_token=METRICS_TOKEN) as app:
        anonymous = app.client.get("/metrics")
        wrong = app.client.get("/metrics", headers=app.headers(CLINICIAN, "clinician"))
        scraped = app.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        reasons = [r.reason for r in app.new_records()]
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert scraped.status_code == 200
    assert "clinvault_http_requests_total" in scraped.text
    assert reasons == ["metrics-token-rejected"]  # the second is counted, written at flush


def test_metrics_is_off_without_a_token(cohort: Cohort) -> None:
    with served(cohort) as app:
        response = app.client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "metrics-disabled"


def test_researcher_list_holds_patients_only(cohort: Cohort) -> None:
    with served(cohort) as app:
        vault = app.services.vault
        shared = vault.patient_token(SHARED_SCOPE)
        assert shared in vault.patient_tokens()  # the shared scope exists in this vault
        response = app.client.get("/v1/patients", headers=app.headers(RESEARCHER, "researcher"))
        patients = {vault.source_patient(t) for t in vault.patient_tokens() if t != shared}
    assert response.status_code == 200
    listed = [p["patient_token"] for p in response.json()["patients"]]
    assert shared not in listed
    assert len(listed) == len(patients) == 2
    assert f"Patient/{PATIENT_ID}" in patients


def test_an_older_audit_log_gains_the_new_columns_and_still_verifies(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    log = AuditLog(engine, b"k" * 32)
    log.create_schema()
    log.append(AuditEvent(kind="access", principal="u", outcome="refused", reason="x"))
    with engine.begin() as connection:  # as a log written before count/client existed
        connection.execute(text("ALTER TABLE audit_records DROP COLUMN count"))
        connection.execute(text("ALTER TABLE audit_records DROP COLUMN client"))
    reopened = AuditLog(engine, b"k" * 32)
    reopened.create_schema()
    columns = {c["name"] for c in inspect(engine).get_columns("audit_records")}
    assert {"count", "client"} <= columns
    reopened.append(
        AuditEvent(
            kind="access", principal="u", outcome="refused", reason="y", count=7, client="10.0.0.1"
        )
    )
    records = list(reopened.iter_records())
    assert [(r.reason, r.count, r.client) for r in records] == [
        ("x", 1, None),
        ("y", 7, "10.0.0.1"),
    ]
    assert reopened.verify().ok
