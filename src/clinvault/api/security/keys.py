"""Verification keys for RS256/ES256: a configured PEM public key, or the IdP's JWKS (found by
OIDC discovery or configured; :mod:`.oidc`)."""

from __future__ import annotations

from typing import Any

import jwt

from clinvault.api.security.jwt import PUBLIC_KEY_ALGORITHMS, KeyResolver
from clinvault.api.security.oidc import JwksKeySource
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings


def key_resolver_for(settings: AuthSettings) -> KeyResolver | None:
    if not set(settings.algorithms) & PUBLIC_KEY_ALGORITHMS:
        return None
    if settings.public_key_file is not None:
        return _pem_resolver(settings)
    if settings.jwks_url is not None or settings.discovery_url is not None:
        return JwksKeySource(settings)
    raise ConfigError(
        "auth: RS256/ES256 need auth.public_key_file, auth.jwks_url or auth.discovery_url"
    )


def _pem_resolver(settings: AuthSettings) -> KeyResolver:
    path = settings.public_key_file
    if path is None or not path.is_file():
        raise ConfigError("auth.public_key_file is not a readable file")
    pem = path.read_text()
    if "PRIVATE KEY" in pem:
        raise ConfigError("auth.public_key_file holds a private key; give the public key")
    loaded = jwt.algorithms.get_default_algorithms()
    keys = {}
    for alg in settings.algorithms:
        if alg in PUBLIC_KEY_ALGORITHMS:
            try:
                keys[alg] = loaded[alg].prepare_key(pem)
            except (jwt.InvalidKeyError, ValueError):
                continue
    if not keys:
        raise ConfigError("auth.public_key_file is not a key for the configured algorithms")

    def resolve(_token: str, alg: str) -> Any:
        if alg not in keys:
            raise jwt.InvalidKeyError("no key for this algorithm")
        return keys[alg]

    return resolve
