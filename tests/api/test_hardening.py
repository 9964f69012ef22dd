"""Size limits, security headers, CORS, rate limits, and no PHI in logs or error bodies."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from clinvault.api import create_app
from clinvault.api.logging import PhiLogFilter, redact
from clinvault.api.ratelimit import InProcessRateLimiter, RedisRateLimiter
from tests.api.conftest import Api
from tests.ask.ask_factories import BIRTH_DATE, MRN, NAME_FAMILY, PATIENT_ID, PHONE, REAL_VALUES
from tests.ask.conftest import CARE_TEAM_LESS, CLINICIAN


def test_oversized_body_is_refused(api: Api) -> None:
    big = {"patient": PATIENT_ID, "question": "x" * 200_000}
    response = api.client.post("/v1/chat", json=big, headers=api.headers(CLINICIAN, "clinician"))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request-too-large"


def test_security_headers_on_every_response(api: Api) -> None:
    for response in (api.client.get("/healthz"), api.client.get("/v1/patients")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


def test_cors_is_closed_by_default(api: Api) -> None:
    response = api.client.options(
        "/v1/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_configured_origins(api: Api) -> None:
    settings = api.cohort.settings(api={"cors_origins": ["https://ehr.example"]})
    app = create_app(settings, services=api.services, limiter=InProcessRateLimiter(100))
    with TestClient(app) as client:
        allowed = client.options(
            "/v1/chat",
            headers={"Origin": "https://ehr.example", "Access-Control-Request-Method": "POST"},
        )
        denied = client.options(
            "/v1/chat",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://ehr.example"
    assert "access-control-allow-origin" not in denied.headers


def test_rate_limit_is_per_principal_and_audited(api: Api) -> None:
    app = create_app(api.cohort.settings(), services=api.services, limiter=InProcessRateLimiter(2))
    with TestClient(app) as client:
        clinician = api.headers(CLINICIAN, "clinician")
        codes = [client.get("/v1/patients", headers=clinician).status_code for _ in range(3)]
        other = client.get("/v1/patients", headers=api.headers(CARE_TEAM_LESS, "clinician"))
    assert codes == [200, 200, 429]
    assert other.status_code == 200
    limited = [r for r in api.services.audit.recent(10) if r.reason == "rate-limited"]
    assert limited
    assert limited[0].principal == CLINICIAN


def test_redis_rate_limiter_shares_counts() -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    now = 1_000_000.0 + (id(client) % 10_000) * 60
    first = RedisRateLimiter(client, 2, now=lambda: now)
    second = RedisRateLimiter(client, 2, now=lambda: now)
    assert [first.allow("u"), second.allow("u"), first.allow("u")] == [True, True, False]
    assert first.allow("someone-else")


def test_no_planted_phi_in_logs_or_error_bodies(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    planted = f"{NAME_FAMILY} {MRN} {PHONE} {BIRTH_DATE}"
    clinician = api.headers(CLINICIAN, "clinician")
    bodies: list[str] = []
    with caplog.at_level(logging.DEBUG):
        requests = [
            ("/v1/chat", {"patient": planted, "question": planted}, clinician),
            (
                "/v1/chat",
                {"patient": PATIENT_ID, "question": planted, "purpose": planted},
                clinician,
            ),
            ("/v1/chat", {"patient": PATIENT_ID, "question": planted, "extra": planted}, clinician),
            ("/v1/chat", {"patient": PATIENT_ID, "question": f"Is {planted} diabetic?"}, clinician),
            ("/v1/chat", {"patient": PATIENT_ID, "question": planted}, {"Authorization": planted}),
            (
                "/v1/chat",
                {"patient": PATIENT_ID, "question": planted},
                {
                    **api.headers(CARE_TEAM_LESS, "clinician"),
                    "X-Break-Glass": f"{NAME_FAMILY} crashed",
                },
            ),
            (
                "/v1/chat/completions",
                {
                    "model": "clinvault",
                    "messages": [{"role": "user", "content": planted}],
                    "user": planted,
                },
                clinician,
            ),
        ]
        for path, body, headers in requests:
            response = api.client.post(path, json=body, headers=headers)
            if response.status_code != 200:
                bodies.append(response.text)
        logging.getLogger("uvicorn.access").info(
            '127.0.0.1:5000 - "GET /v1/patients?name=%s HTTP/1.1" 200', NAME_FAMILY
        )
    assert len(bodies) >= 5
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in (*REAL_VALUES, planted):
        assert value not in logged
        for body in bodies:
            assert value not in body


def test_phi_filter_masks_dates_numbers_and_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '"GET /v1/x?patient=%s HTTP/1.1" 200 born %s call %s',
        (MRN, BIRTH_DATE, PHONE),
        None,
    )
    assert PhiLogFilter().filter(record)
    message = record.getMessage()
    assert MRN not in message
    assert BIRTH_DATE not in message
    assert PHONE not in message
    assert redact("nothing to see") == "nothing to see"


def test_phi_filter_drops_uvicorn_access_records_and_keeps_records_formattable() -> None:
    """uvicorn's access records carry the concrete path (patient ids) and query string:
    dropped, clinvault logs its own line. Other records keep ``args == ()`` so that any
    formatter still formats them (``None`` broke uvicorn's AccessFormatter)."""
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/patients/{MRN}?name={NAME_FAMILY}", "1.1", 200),
        None,
    )
    assert not PhiLogFilter().filter(access)
    other = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "%s", (MRN,), None)
    assert PhiLogFilter().filter(other)
    assert other.args == ()
    assert logging.Formatter("%(message)s").format(other) == "[redacted]"
