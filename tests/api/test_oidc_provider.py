"""OIDC for real: tokens from an OpenID Connect issuer running as its own process on loopback
(tests/api/oidc_issuer.py, authlib keys and signatures), verified by the API's code.

The issuer is found by discovery (``auth.discovery_url``), its keys come from the JWKS the
discovery document names, a rotated key id is fetched once, a key id still unknown after a
refetch is refused (and, through the API, audited), refetches are rate-limited, a withdrawn
key stops verifying once the set is refreshed, and audience and issuer are checked. Time in
the key cache is a fake clock stepped by the tests (no sleeping, no timing assertions);
the issuer counts how often its discovery document and JWKS were fetched.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from clinvault.api import ApiServices, create_app
from clinvault.api.ratelimit import InProcessRateLimiter
from clinvault.api.security.jwt import TokenRejected, TokenVerifier
from clinvault.api.security.keys import key_resolver_for
from clinvault.api.security.oidc import JwksKeySource
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings
from tests.ask.conftest import CLINICIAN

from .conftest import API_TEST_SETTINGS, Api

ISSUER_SCRIPT = Path(__file__).with_name("oidc_issuer.py")
AUDIENCE = "clinvault-api"
REFRESH_INTERVAL_S = 30.0
MAX_AGE_S = 600.0


@dataclass
class Provider:
    url: str
    process: subprocess.Popen[str]

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def password_grant(self, user: str) -> str:
        response = httpx.post(
            f"{self.url}/token",
            data={"grant_type": "password", "username": user, "client_id": "clinvault-chat"},
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def sign(self, *, unpublished: bool = False, **changes: object) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": CLINICIAN,
            "iat": now,
            "exp": now + 300,
            "scope": "user/*.rs",
            "clinvault_role": "clinician",
        }
        claims.update(changes)
        response = httpx.post(
            f"{self.url}/admin/sign", json={"claims": claims, "unpublished": unpublished}
        )
        response.raise_for_status()
        token: str = response.json()["token"]
        return token

    def rotate(self, *, drop_old: bool = False) -> str:
        response = httpx.post(f"{self.url}/admin/rotate", json={"drop_old": drop_old})
        response.raise_for_status()
        kid: str = response.json()["kid"]
        return kid

    def hits(self) -> dict[str, int]:
        response = httpx.get(f"{self.url}/admin/stats")
        response.raise_for_status()
        counts: dict[str, int] = response.json()
        return counts


def _start_provider(log: Path) -> Provider:
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ISSUER_SCRIPT), "--user", f"{CLINICIAN}=clinician"],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        process.wait()
        raise AssertionError(f"the OIDC issuer did not start: {line}{log.read_text()}")
    return Provider(f"http://127.0.0.1:{int(line.split()[1])}", process)


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[Provider]:
    """A fresh issuer per test: its keys and fetch counters start clean."""
    running = _start_provider(tmp_path / "oidc-issuer.log")
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)
        assert running.process.stdout is not None
        running.process.stdout.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _settings(provider: Provider, **changes: object) -> AuthSettings:
    values: dict[str, object] = {
        "issuer": provider.url,
        "audience": AUDIENCE,
        "algorithms": ["RS256"],
        "discovery_url": provider.discovery_url,
        "jwks_refresh_min_interval_s": REFRESH_INTERVAL_S,
        "jwks_max_age_s": MAX_AGE_S,
    }
    values.update(changes)
    return AuthSettings.model_validate(values)


def _verifier(settings: AuthSettings, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(settings, key_resolver=JwksKeySource(settings, clock=clock))


def _refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(TokenRejected) as refused:
        verifier.verify(token)
    return refused.value.reason


def test_discovery_names_the_jwks_and_a_password_grant_token_verifies(
    provider: Provider,
) -> None:
    settings = _settings(provider)
    verifier = TokenVerifier(settings, key_resolver=key_resolver_for(settings))
    assert provider.hits()["discovery"] == 0  # read on first use, not at start
    claims = verifier.verify(provider.password_grant(CLINICIAN))
    assert (claims.subject, claims.role, claims.scopes) == (CLINICIAN, "clinician", ("user/*.rs",))
    verifier.verify(provider.password_grant(CLINICIAN))
    hits = provider.hits()
    assert (hits["discovery"], hits["jwks"]) == (1, 1)  # cached: the second token fetched nothing


def test_a_discovery_document_for_another_issuer_is_refused(provider: Provider) -> None:
    settings = _settings(provider, issuer="https://idp.example/realms/clinvault")
    verifier = _verifier(settings, FakeClock())
    token = provider.sign(iss="https://idp.example/realms/clinvault")
    assert _refused(verifier, token) == "token-issuer-mismatch"
    assert provider.hits()["jwks"] == 0  # its keys were never fetched


def test_a_rotated_key_id_is_fetched_once(provider: Provider) -> None:
    clock = FakeClock()
    verifier = _verifier(_settings(provider), clock)
    before = provider.password_grant(CLINICIAN)
    verifier.verify(before)
    assert provider.hits()["jwks"] == 1

    provider.rotate()  # the old key stays published (a rollover)
    clock.now += REFRESH_INTERVAL_S
    verifier.verify(provider.password_grant(CLINICIAN))
    assert provider.hits()["jwks"] == 2
    for _ in range(3):
        verifier.verify(provider.password_grant(CLINICIAN))
    verifier.verify(before)  # the old key, still published and cached
    assert provider.hits()["jwks"] == 2


def test_an_unknown_key_id_after_a_refresh_is_refused_and_refreshes_are_rate_limited(
    provider: Provider,
) -> None:
    clock = FakeClock()
    verifier = _verifier(_settings(provider), clock)
    verifier.verify(provider.password_grant(CLINICIAN))
    assert provider.hits()["jwks"] == 1
    clock.now += REFRESH_INTERVAL_S

    forged = provider.sign(unpublished=True)  # a key the issuer never published
    assert _refused(verifier, forged) == "token-key-unknown"
    assert provider.hits()["jwks"] == 2  # one refetch, then refused
    for _ in range(5):
        assert _refused(verifier, provider.sign(unpublished=True)) == "token-key-unknown"
    assert provider.hits()["jwks"] == 2  # inside the interval: no refetch

    # a genuine rotation inside the interval waits for it too, then is fetched once
    provider.rotate()
    fresh = provider.password_grant(CLINICIAN)
    assert _refused(verifier, fresh) == "token-key-unknown"
    clock.now += REFRESH_INTERVAL_S
    assert verifier.verify(fresh).subject == CLINICIAN
    assert provider.hits()["jwks"] == 3


def test_a_withdrawn_key_stops_verifying_when_the_set_is_refreshed(provider: Provider) -> None:
    clock = FakeClock()
    verifier = _verifier(_settings(provider), clock)
    old = provider.password_grant(CLINICIAN)
    verifier.verify(old)
    provider.rotate(drop_old=True)
    verifier.verify(old)  # cached until the set is older than jwks_max_age_s
    clock.now += MAX_AGE_S
    assert _refused(verifier, old) == "token-key-unknown"
    assert verifier.verify(provider.password_grant(CLINICIAN)).subject == CLINICIAN


def test_audience_and_issuer_are_checked(provider: Provider) -> None:
    verifier = _verifier(_settings(provider), FakeClock())
    assert verifier.verify(provider.sign()).subject == CLINICIAN
    assert _refused(verifier, provider.sign(aud="another-api")) == "token-wrong-audience"
    assert _refused(verifier, provider.sign(iss="http://127.0.0.1:1/other")) == (
        "token-wrong-issuer"
    )
    assert _refused(verifier, provider.sign(exp=int(time.time()) - 3600)) == "token-expired"


def test_an_unreachable_issuer_fails_closed(provider: Provider) -> None:
    token = provider.sign()
    settings = _settings(
        provider, discovery_url="http://127.0.0.1:9/.well-known/openid-configuration"
    )
    assert _refused(_verifier(settings, FakeClock()), token) == "token-issuer-unreachable"


def test_discovery_and_a_jwks_url_together_are_a_config_error(provider: Provider) -> None:
    settings = _settings(provider, jwks_url=f"{provider.url}/jwks")
    with pytest.raises(ConfigError, match="not both"):
        key_resolver_for(settings)
    shorter = _settings(provider, jwks_max_age_s=REFRESH_INTERVAL_S / 2)
    with pytest.raises(ConfigError, match="jwks_max_age_s"):
        key_resolver_for(shorter)


def test_the_api_accepts_the_issuers_tokens_and_audits_an_unknown_key_id(
    api: Api, provider: Provider
) -> None:
    settings = api.cohort.settings(
        api=API_TEST_SETTINGS,
        auth=_settings(provider).model_dump(),
    )
    services = ApiServices(
        api.services.runtime,
        TokenVerifier(settings.auth, key_resolver=key_resolver_for(settings.auth)),
    )
    app = create_app(settings, services=services, limiter=InProcessRateLimiter(1000))
    with TestClient(app) as client:
        good = {"Authorization": f"Bearer {provider.password_grant(CLINICIAN)}"}
        assert client.get("/v1/patients", headers=good).status_code == 200

        forged = {"Authorization": f"Bearer {provider.sign(unpublished=True)}"}
        response = client.get("/v1/patients", headers=forged)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "token-key-unknown"
        record = api.last_record()
        assert (record.outcome, record.reason, record.principal) == (
            "refused",
            "token-key-unknown",
            "unauthenticated",
        )
