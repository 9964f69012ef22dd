"""Bearer JWT verification and development minting.

Production deployments verify RS256/ES256 tokens with a configured PEM public key or the
identity provider's JWKS (configured, or found by OIDC discovery; :mod:`.oidc`); development uses HS256 with a local secret. The algorithm list is
explicit and never mixes HMAC with public-key algorithms, so a public key can never be
used as an HMAC secret (algorithm confusion), and ``alg: none`` is never accepted.

Every failure is a :class:`TokenRejected` with a stable ``reason`` code; its message never
quotes a claim value.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from clinvault import crypto
from clinvault.errors import ConfigError
from clinvault.settings import AuthSettings

HMAC_ALGORITHMS = frozenset({"HS256"})
PUBLIC_KEY_ALGORITHMS = frozenset({"RS256", "ES256"})
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
DEV_SECRET_PURPOSE = "clinvault/api/hs256-dev/v1"  # noqa: S105 (an HKDF label, not a secret)


class TokenRejected(Exception):
    """The bearer token is missing or invalid; ``reason`` is a stable code."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class KeyUnavailable(jwt.PyJWTError):
    """A key resolver found no verification key for a token; ``reason`` is the refusal code
    (``token-key-unknown``, ``token-issuer-unreachable``, ``token-issuer-mismatch``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    role: str | None
    scopes: tuple[str, ...]
    patient: str | None
    """SMART launch context: the patient ``patient/`` scopes refer to."""
    token_id: str | None
    expires_at: int


def dev_secret_from_audit_key(audit_key: bytes) -> bytes:
    """The development HS256 secret when none is configured: derived from the deployment's
    keys, so ``clinvault token issue`` and ``clinvault serve`` on one home agree."""
    return crypto.derive_key(audit_key, DEV_SECRET_PURPOSE)


KeyResolver = Callable[[str, str], Any]
"""``(token, alg) -> verification key`` for public-key algorithms."""


class TokenVerifier:
    def __init__(
        self,
        settings: AuthSettings,
        *,
        hmac_secret: bytes | None = None,
        key_resolver: KeyResolver | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        algorithms = set(settings.algorithms)
        if algorithms & HMAC_ALGORITHMS and algorithms & PUBLIC_KEY_ALGORITHMS:
            raise ConfigError("auth.algorithms mixes HS256 with RS256/ES256: choose one kind")
        if algorithms & HMAC_ALGORITHMS and (hmac_secret is None or len(hmac_secret) < 32):
            raise ConfigError("auth: HS256 needs a secret of at least 32 bytes")
        if algorithms & PUBLIC_KEY_ALGORITHMS and key_resolver is None:
            raise ConfigError(
                "auth: RS256/ES256 need auth.public_key_file, auth.jwks_url or auth.discovery_url"
            )
        self._settings = settings
        self._algorithms = sorted(algorithms)
        self._secret = hmac_secret
        self._resolve = key_resolver
        self._now = now

    def verify(self, token: str | None) -> TokenClaims:
        if not token:
            raise TokenRejected("token-missing")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRejected("token-malformed") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise TokenRejected("token-algorithm-rejected")
        key: Any = self._secret if alg in HMAC_ALGORITHMS else self._public_key(token, alg)
        if key is None:
            raise TokenRejected("token-algorithm-rejected")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_s,
                options={"require": list(REQUIRED_CLAIMS), "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(_reason_for(exc)) from None
        self._check_times(claims)
        return _claims_from(claims, self._settings.role_claim)

    def _public_key(self, token: str, alg: str) -> Any:
        if self._resolve is None:
            raise TokenRejected("token-algorithm-rejected")
        try:
            return self._resolve(token, alg)
        except KeyUnavailable as exc:
            raise TokenRejected(exc.reason) from None
        except jwt.PyJWTError:
            raise TokenRejected("token-key-unknown") from None

    def _check_times(self, claims: dict[str, Any]) -> None:
        # PyJWT checks exp/nbf against the system clock; these checks use the injected one.
        now = self._now()
        leeway = self._settings.leeway_s
        if float(claims["exp"]) <= now - leeway:
            raise TokenRejected("token-expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int | float) and float(nbf) > now + leeway:
            raise TokenRejected("token-not-yet-valid")


def _reason_for(exc: jwt.PyJWTError) -> str:
    reasons: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
        (jwt.ExpiredSignatureError, "token-expired"),
        (jwt.ImmatureSignatureError, "token-not-yet-valid"),
        (jwt.InvalidAudienceError, "token-wrong-audience"),
        (jwt.InvalidIssuerError, "token-wrong-issuer"),
        (jwt.MissingRequiredClaimError, "token-claim-missing"),
        (jwt.InvalidSignatureError, "token-bad-signature"),
        (jwt.InvalidAlgorithmError, "token-algorithm-rejected"),
        (jwt.InvalidKeyError, "token-algorithm-rejected"),
    )
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return "token-malformed"


def _claims_from(claims: dict[str, Any], role_claim: str) -> TokenClaims:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("token-claim-missing")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise TokenRejected("token-malformed")
    role = claims.get(role_claim)
    patient = claims.get("patient")
    token_id = claims.get("jti")
    return TokenClaims(
        subject=subject,
        role=role if isinstance(role, str) else None,
        scopes=tuple(scope.split()),
        patient=patient if isinstance(patient, str) else None,
        token_id=token_id if isinstance(token_id, str) else None,
        expires_at=int(claims["exp"]),
    )


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    """Mints HS256 development tokens (``clinvault token issue``)."""

    settings: AuthSettings
    secret: bytes
    now: Callable[[], float] = time.time

    def issue(
        self,
        user: str,
        role: str,
        *,
        scopes: Sequence[str],
        ttl_s: int,
        patient: str | None = None,
    ) -> str:
        if ttl_s < 1 or ttl_s > self.settings.max_ttl_s:
            raise ConfigError(f"token lifetime must be 1..{self.settings.max_ttl_s} seconds")
        issued = int(self.now())
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": user,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_s,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scopes),
            self.settings.role_claim: role,
        }
        if patient is not None:
            claims["patient"] = patient
        return jwt.encode(claims, self.secret, algorithm="HS256")
