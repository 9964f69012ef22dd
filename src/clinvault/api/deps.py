"""Request dependencies: services, the audited denial writer, authentication, rate limits.

Routes declare what they need with the ``Annotated`` aliases at the bottom::

    def route(caller: Caller, services: Services, audit: Denials) -> ...

``Caller`` authenticates the bearer token, resolves the principal from the access store,
checks the token's role against it and spends one unit of the principal's rate budget;
every refusal on the way is audited (in aggregate, see :mod:`clinvault.api.refusals`)
before the error is raised. Limits that apply before authentication are middleware
(:class:`clinvault.api.middleware.PreAuthRateLimit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clinvault.access import Principal, Role
from clinvault.access.control import INVALID_USER_NAME
from clinvault.access.principal import USER_NAME
from clinvault.api.conversations import ConversationStore
from clinvault.api.errors import AUTHENTICATION_FAILED, FORBIDDEN, REFUSAL_AUDITED, ApiError
from clinvault.api.metrics import ApiMetrics
from clinvault.api.ratelimit import PreAuthLimits, RateLimiter
from clinvault.api.refusals import RefusalLog
from clinvault.api.security.jwt import TokenClaims, TokenRejected
from clinvault.api.security.scopes import SmartScopes, parse_scopes
from clinvault.api.services import ApiServices
from clinvault.audit import AuditEvent
from clinvault.settings import ApiSettings

UNAUTHENTICATED = "unauthenticated"
"""The principal recorded for requests whose token did not verify (its claims are not trusted)."""
CALLER = "clinvault.caller"
"""Scope key: ``(name, role)`` of the authenticated caller, for later refusals' records."""

bearer = HTTPBearer(auto_error=False, description="OAuth2/OIDC access token (JWT)")


@dataclass(frozen=True)
class AppState:
    services: ApiServices
    limiter: RateLimiter
    conversations: ConversationStore
    metrics: ApiMetrics
    api: ApiSettings
    preauth: PreAuthLimits
    refusals: RefusalLog


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.clinvault
    return state


State = Annotated[AppState, Depends(get_state)]


@dataclass(frozen=True)
class DenialAuditor:
    """Writes the ``access`` audit record of a refusal, then hands back the error to raise."""

    state: AppState
    request: Request

    def refuse(
        self,
        status: int,
        reason: str,
        *,
        principal: str = UNAUTHENTICATED,
        role: str | None = None,
        patient_token: str | None = None,
        purpose: str | None = None,
        message: str = "",
    ) -> ApiError:
        self.state.refusals.refuse(
            AuditEvent(
                kind="access",
                principal=principal if USER_NAME.fullmatch(principal) else INVALID_USER_NAME,
                role=role,
                purpose=purpose,
                patient=patient_token,
                outcome="refused",
                reason=reason,
                client=client_address(self.request.scope),
            )
        )
        self.request.scope[REFUSAL_AUDITED] = True
        self.state.metrics.denials.labels(reason).inc()
        headers = None
        if status == 429:
            headers = {"Retry-After": str(self.state.limiter.retry_after_s())}
        return ApiError(status, reason, message, headers=headers)


def client_address(scope: Mapping[str, Any]) -> str:
    """The peer address of the connection (``unknown`` when the server gives none)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def get_denials(state: State, request: Request) -> DenialAuditor:
    return DenialAuditor(state, request)


Denials = Annotated[DenialAuditor, Depends(get_denials)]


@dataclass(frozen=True)
class CallerIdentity:
    principal: Principal
    claims: TokenClaims
    scopes: SmartScopes

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def role(self) -> str:
        return self.principal.role.value

    def default_purpose(self) -> str:
        return "HRESCH" if self.principal.role == Role.RESEARCHER else "TREAT"


def authenticate(
    state: State,
    denials: Denials,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> CallerIdentity:
    token = None if credentials is None else credentials.credentials
    try:
        claims = state.services.verifier.verify(token)
    except TokenRejected as exc:
        raise denials.refuse(AUTHENTICATION_FAILED, exc.reason) from None
    principal = (
        state.services.access_store.principal(claims.subject)
        if USER_NAME.fullmatch(claims.subject)
        else None
    )
    if principal is None:
        raise denials.refuse(FORBIDDEN, "unknown-principal", principal=claims.subject)
    if claims.role is not None and claims.role != principal.role.value:
        raise denials.refuse(
            FORBIDDEN, "role-mismatch", principal=principal.name, role=principal.role.value
        )
    if not state.limiter.allow(principal.name):
        raise denials.refuse(
            429, "rate-limited", principal=principal.name, role=principal.role.value
        )
    request.scope[CALLER] = (principal.name, principal.role.value)
    return CallerIdentity(principal, claims, parse_scopes(claims.scopes))


Caller = Annotated[CallerIdentity, Depends(authenticate)]
