"""Shared by the tests/security API tests: the two-patient ask cohort (hashing embedder) and
an app over it with chosen ``api`` settings, closed (and its refusal counts flushed) on exit."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinvault.api import ApiServices, create_app
from clinvault.api.security.jwt import TokenIssuer
from clinvault.api.services import hs256_secret
from clinvault.audit import AuditRecord
from tests.ask.conftest import SHM, Cohort, build_cohort


@pytest.fixture(scope="module")
def cohort() -> Iterator[Cohort]:
    root = Path(tempfile.mkdtemp(prefix="clinvault-sec-", dir=SHM if SHM.is_dir() else None))
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("CLINVAULT_") and name != "CLINVAULT_SHARED_DATA":
                patch.delenv(name)
        try:
            yield build_cohort(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)


@dataclass
class Served:
    client: TestClient
    services: ApiServices
    issuer: TokenIssuer
    first_seq: int

    def headers(self, user: str, role: str, **kwargs: object) -> dict[str, str]:
        token = self.issuer.issue(user, role, scopes=("user/*.rs",), ttl_s=600, **kwargs)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    def flush_refusals(self) -> None:
        """What the app does at shutdown: write the refusal counts still pending."""
        self.client.app.state.clinvault.refusals.flush()  # type: ignore[attr-defined]

    def new_records(self) -> list[AuditRecord]:
        """Audit records appended since the app was opened, oldest first."""
        return [r for r in self.services.audit.iter_records() if r.seq > self.first_seq]


@contextmanager
def served(
    cohort: Cohort, client: tuple[str, int] = ("203.0.113.7", 40000), **api: object
) -> Iterator[Served]:
    settings = cohort.settings(api=api)
    services = ApiServices.open(settings)
    try:
        secret = hs256_secret(settings.auth, services.runtime.keys)
        assert secret is not None
        first = services.audit.head().count
        app = create_app(settings, services=services)
        with TestClient(app, client=client) as test_client:
            yield Served(test_client, services, TokenIssuer(settings.auth, secret), first)
    finally:
        services.close()
