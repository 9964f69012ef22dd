"""Verification keys for RS256/ES256: a configured PEM public key, or the IdP's JWKS."""

from __future__ import annotations

from typing import Any

import jwt

from clinvault.api.security.jwt import PUBLIC_KEY_ALGORITHMS, KeyResolver
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings


def key_resolver_for(settings: AuthSettings) -> KeyResolver | None:
    if not set(settings.algorithms) & PUBLIC_KEY_ALGORITHMS:
        return None
    if settings.public_key_file is not None:
        return _pem_resolver(settings)
    if settings.jwks_url is not None:
        client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300, timeout=5)

        def from_jwks(token: str, _alg: str) -> Any:
            return client.get_signing_key_from_jwt(token).key

        return from_jwks
    raise ConfigError("auth: RS256/ES256 need auth.public_key_file or auth.jwks_url")


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
