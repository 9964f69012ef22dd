"""The ask cohort (two patients, hashing embedder) served by the API app, and token minting."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinvault.api import ApiServices, create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.api.security.jwt import TokenIssuer
from clinvault.api.services import hs256_secret
from clinvault.audit import AuditRecord
from tests.ask.conftest import SHM, Cohort, build_cohort

Mint = Callable[..., str]

METRICS_TOKEN = "metrics-scrape-token-for-tests"
API_TEST_SETTINGS: dict[str, object] = {
    "rate_limit_per_minute": 1000,
    "client_rate_limit_per_minute": 100_000,
    "auth_failures_per_minute": 100_000,
    "refusal_audit_window_s": 0,
    "metrics_token": METRICS_TOKEN,
}
"""One client sends every test's requests: ample budgets, and each refusal its own audit
record (so a test reads the refusal it caused); tests/security covers limits and aggregation."""
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@dataclass
class Api:
    client: TestClient
    services: ApiServices
    cohort: Cohort
    issuer: TokenIssuer

    def token(
        self,
        user: str,
        role: str,
        scopes: tuple[str, ...] = ("user/*.rs",),
        ttl_s: int = 600,
        patient: str | None = None,
    ) -> str:
        return self.issuer.issue(user, role, scopes=scopes, ttl_s=ttl_s, patient=patient)

    def headers(self, user: str, role: str, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, role, **kwargs)}"}  # type: ignore[arg-type]

    def last_record(self) -> AuditRecord:
        return self.services.audit.recent(1)[0]

    def records_since(self, seq: int) -> list[AuditRecord]:
        return [r for r in self.services.audit.recent(50) if r.seq > seq][::-1]

    def head_seq(self) -> int:
        return self.services.audit.head().count


@pytest.fixture(scope="session")
def api_cohort() -> Iterator[Cohort]:
    """Built once for the whole API test package (ingestion is the slow part)."""
    root = Path(tempfile.mkdtemp(prefix="clinvault-api-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            yield build_cohort(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def api(api_cohort: Cohort) -> Iterator[Api]:
    settings = api_cohort.settings(api=API_TEST_SETTINGS)
    services = ApiServices.open(settings)
    app = create_app(settings, services=services, limiter=InProcessRateLimiter(1000))
    secret = hs256_secret(settings.auth, services.runtime.keys)
    assert secret is not None
    try:
        with TestClient(app) as client:
            yield Api(client, services, api_cohort, TokenIssuer(settings.auth, secret))
    finally:
        services.close()
