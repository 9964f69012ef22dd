"""Bearer-token authorization probes, through the API's own JWT code.

A probe mints a development token for the granted eval clinician that must not be accepted
(``expired-token``: its lifetime ended before now; ``forged-token``: signed with a secret
the deployment does not hold), verifies it with the verifier the API builds
(:func:`clinvault.api.services.verifier_for`) and, on rejection, appends the same ``access``
audit record the API's denial writer does. A token that verifies is handed back, and the
runner asks as its subject: the probe then fails because an answer comes back.

Deployments that accept only RS256/ES256 tokens cannot be probed with a minted token; the
probe is then reported as unavailable and its metric stays unmeasured.

Importing the API here is deliberate: the probe must exercise the API's own token code, not
a copy. The layer contract (``[tool.importlinter]``) therefore puts ``eval`` above ``api``;
the API never imports the evaluation.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from clinvault.api.deps import UNAUTHENTICATED
from clinvault.api.security.jwt import TokenIssuer, TokenRejected, TokenVerifier
from clinvault.api.services import hs256_secret, verifier_for
from clinvault.audit import AuditEvent, AuditLog
from clinvault.errors import ConfigError
from clinvault.eval.dataset import TOKEN_ASKERS
from clinvault.eval.outcome import PROBE_UNAVAILABLE
from clinvault.keys import KeyRing
from clinvault.settings import AuthSettings

EXPECTED_REASON = {"expired-token": "token-expired", "forged-token": "token-bad-signature"}
SCOPES = ("user/*.rs",)
TTL_S = 300
_FORGED_SECRET = hashlib.sha256(b"clinvault eval: a secret no deployment holds").digest()


@dataclass(frozen=True, slots=True)
class TokenCheck:
    subject: str | None
    """The verified subject; ``None`` when the token was refused (or could not be minted)."""
    reason: str | None = None


class TokenProbes:
    def __init__(
        self,
        auth: AuthSettings,
        keys: KeyRing,
        audit: AuditLog,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._auth = auth
        self._audit = audit
        self._now = now
        self._secret = hs256_secret(auth, keys)
        self._verifier: TokenVerifier | None = None
        if self._secret is not None:
            try:
                self._verifier = verifier_for(auth, keys)
            except ConfigError:
                self._verifier = None

    def present(self, probe: str, subject: str, role: str) -> TokenCheck:
        """Mint the probe's token for ``subject`` and verify it as the API does."""
        if probe not in TOKEN_ASKERS:
            raise ValueError(f"unknown token probe: {probe}")
        if self._secret is None or self._verifier is None:
            return TokenCheck(None, PROBE_UNAVAILABLE)
        token = self._mint(probe, self._secret, subject, role)
        try:
            claims = self._verifier.verify(token)
        except TokenRejected as exc:
            self._audit.append(
                AuditEvent(
                    kind="access", principal=UNAUTHENTICATED, outcome="refused", reason=exc.reason
                )
            )
            return TokenCheck(None, exc.reason)
        return TokenCheck(claims.subject)

    def _mint(self, probe: str, secret: bytes, subject: str, role: str) -> str:
        if probe == "expired-token":
            issued = self._now() - min(TTL_S, self._auth.max_ttl_s) - self._auth.leeway_s - 60
            issuer = TokenIssuer(self._auth, secret, now=lambda: issued)
        else:
            issuer = TokenIssuer(self._auth, _FORGED_SECRET, now=self._now)
        return issuer.issue(subject, role, scopes=SCOPES, ttl_s=min(TTL_S, self._auth.max_ttl_s))
