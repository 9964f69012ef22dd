"""``GET /v1/dev/sign-in``: short-lived tokens for the registered users, for the chat page's
demo sign-in. Mounted only when ``api.demo_sign_in`` is set (``clinvault serve --demo``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from clinvault.api.deps import State
from clinvault.api.security.jwt import TokenIssuer
from clinvault.api.services import hs256_secret

router = APIRouter(prefix="/v1/dev", tags=["development"])
DEMO_TTL_S = 3600
DEMO_SCOPES = ("openid", "fhirUser", "user/*.rs")


@router.get("/sign-in")
async def demo_sign_in(state: State) -> dict[str, Any]:
    services = state.services
    secret = hs256_secret(services.settings.auth, services.runtime.record_keys)
    if secret is None:
        return {"users": []}
    issuer = TokenIssuer(services.settings.auth, secret)
    users = [
        {
            "user": summary.principal.name,
            "role": summary.principal.role.value,
            "token": issuer.issue(
                summary.principal.name,
                summary.principal.role.value,
                scopes=DEMO_SCOPES,
                ttl_s=DEMO_TTL_S,
            ),
        }
        for summary in services.access_store.users()
    ]
    return {"users": users}
