"""The identity provider's signing keys: OIDC discovery and a JWKS cache that follows rotation.

``auth.discovery_url`` (``{issuer}/.well-known/openid-configuration``) or ``auth.jwks_url``
names where the keys come from. With discovery, the document's ``issuer`` must equal
``auth.issuer`` exactly (OpenID Connect Discovery 1.0, section 4.3) and its ``jwks_uri`` is
the key set used; the document is read on first use, not at start, so the API starts while
the issuer is still starting.

The key set is cached by key id. A token whose ``kid`` is not cached makes one refetch of
the set (the issuer rotated its key), but at most one every
``auth.jwks_refresh_min_interval_s``: a stream of tokens with made-up key ids cannot make the
API hammer the issuer. A kid still unknown after that refetch is refused
(``token-key-unknown``; the API audits the refusal). The whole set is also refetched when
older than ``auth.jwks_max_age_s``, so a key the issuer withdrew stops verifying. Fail
closed: when the issuer cannot be reached and no fresh set is cached, tokens are refused
(``token-issuer-unreachable``), and the failed fetch counts toward the same rate limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from clinvault.api.security.jwt import KeyUnavailable
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings

SIGNING_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}


@dataclass
class _Cache:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    jwks_uri: str | None = None
    fetched_at: float | None = None
    """When the set was last fetched successfully (clock seconds)."""
    attempted_at: float | None = None
    """When a fetch was last attempted, successful or not (the refresh rate limit)."""


class JwksKeySource:
    """``(token, alg) -> key`` for :class:`~clinvault.api.security.jwt.TokenVerifier`, from
    the issuer's JWKS (found by discovery or configured), refreshed on rotation."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.discovery_url is None and settings.jwks_url is None:
            raise ConfigError("auth: the JWKS key source needs auth.discovery_url or auth.jwks_url")
        if settings.discovery_url is not None and settings.jwks_url is not None:
            raise ConfigError("auth: set auth.discovery_url or auth.jwks_url, not both")
        if settings.jwks_max_age_s < settings.jwks_refresh_min_interval_s:
            raise ConfigError(
                "auth.jwks_max_age_s must be at least auth.jwks_refresh_min_interval_s "
                "(a set could otherwise expire before it may be refetched)"
            )
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._cache = _Cache(jwks_uri=settings.jwks_url)

    def __call__(self, token: str, alg: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or not kid:
            raise KeyUnavailable("token-key-unknown")
        with self._lock:
            now = self._clock()
            cache = self._cache
            stale = cache.fetched_at is None or now - cache.fetched_at >= self._max_age()
            if stale or kid not in cache.keys:
                self._refresh(now)
            found = self._cache.keys.get(kid)
        if found is None:
            raise KeyUnavailable("token-key-unknown")
        if found.algorithm_name != alg:
            raise KeyUnavailable("token-key-unknown")
        return found.key

    def _max_age(self) -> float:
        return float(self._settings.jwks_max_age_s)

    def _refresh(self, now: float) -> None:
        """Refetch the set unless the last attempt was too recent; a stale set that cannot
        be refreshed is dropped (fail closed)."""
        cache = self._cache
        interval = self._settings.jwks_refresh_min_interval_s
        if cache.attempted_at is not None and now - cache.attempted_at < interval:
            if cache.fetched_at is None or now - cache.fetched_at >= self._max_age():
                cache.keys = {}
            return
        cache.attempted_at = now
        try:
            uri = cache.jwks_uri or self._discover()
            cache.jwks_uri = uri
            keys = self._fetch_keys(uri)
        except KeyUnavailable:
            if cache.fetched_at is None or now - cache.fetched_at >= self._max_age():
                cache.keys = {}
            raise
        cache.keys = keys
        cache.fetched_at = now

    def _get_json(self, url: str) -> dict[str, Any]:
        # a client per fetch: fetches are rare (rate-limited), and nothing stays open to close
        try:
            with httpx.Client(timeout=self._settings.jwks_timeout_s) as http:
                response = http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError:
            raise KeyUnavailable("token-issuer-unreachable") from None
        if response.status_code != 200:
            raise KeyUnavailable("token-issuer-unreachable")
        try:
            body = response.json()
        except ValueError:
            raise KeyUnavailable("token-issuer-unreachable") from None
        if not isinstance(body, dict):
            raise KeyUnavailable("token-issuer-unreachable")
        return body

    def _discover(self) -> str:
        url = self._settings.discovery_url
        if url is None:  # pragma: no cover (the constructor requires one of the two)
            raise KeyUnavailable("token-issuer-unreachable")
        document = self._get_json(url)
        if document.get("issuer") != self._settings.issuer:
            # a discovery document for another issuer: its keys must not verify our tokens
            raise KeyUnavailable("token-issuer-mismatch")
        uri = document.get("jwks_uri")
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            raise KeyUnavailable("token-issuer-unreachable")
        return uri

    def _fetch_keys(self, uri: str) -> dict[str, jwt.PyJWK]:
        document = self._get_json(uri)
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise KeyUnavailable("token-issuer-unreachable")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            key = _signing_key(entry, self._settings.algorithms)
            if key is not None and key.key_id is not None:
                keys[key.key_id] = key
        return keys


def _signing_key(entry: object, algorithms: Sequence[str]) -> jwt.PyJWK | None:
    """A JWKS entry usable for one of the configured algorithms, else ``None`` (encryption
    keys, other key types and entries PyJWT cannot read are skipped, not fatal)."""
    if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    alg = entry.get("alg")
    candidates = [alg] if isinstance(alg, str) else list(algorithms)
    for name in candidates:
        if name not in algorithms or SIGNING_KEY_TYPES.get(name) != entry.get("kty"):
            continue
        try:
            return jwt.PyJWK(entry, algorithm=name)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            return None
    return None
