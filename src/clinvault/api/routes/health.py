"""``/healthz`` (the process answers), ``/readyz`` (vault, index, audit and model route
answer): unauthenticated, and they reveal no data. ``/metrics`` (Prometheus) answers only a
scraper that presents ``api.metrics_token`` as its bearer token, and is off (404) while no
token is configured: request counts by route and refusal reasons are operational data."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from clinvault.api.deps import Denials, State, bearer
from clinvault.api.errors import AUTHENTICATION_FAILED, ApiError, documented
from clinvault.api.schemas import Readiness
from clinvault.api.services import ApiServices
from clinvault.errors import ClinvaultError
from clinvault.llm.route_plan import route_plan

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency is not ready"}},
)
async def readyz(state: State) -> JSONResponse:
    checks = await run_in_threadpool(readiness, state.services)
    ready = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ready else "not-ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def readiness(services: ApiServices) -> dict[str, str]:
    checks: dict[str, str] = {}
    probes: dict[str, Callable[[], object]] = {
        "vault": services.vault.counts,
        "index": lambda: _count_index(services),
        "audit": services.audit.head,
        "model-route": lambda: _model_route(services),
    }
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except (ClinvaultError, OSError, RuntimeError, ValueError) as exc:
            checks[name] = f"failed: {type(exc).__name__}"
    return checks


def _count_index(services: ApiServices) -> int:
    with services.index_lock:
        return services.index.count()


def _model_route(services: ApiServices) -> None:
    if not route_plan(services.settings.llm):
        raise ValueError("no model route")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition",
        },
        **documented(401, 404, 429),
    },
)
async def metrics(
    state: State,
    denials: Denials,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    expected = state.api.metrics_token
    if expected is None:
        raise ApiError(404, "metrics-disabled", "/metrics is off: set api.metrics_token")
    given = "" if credentials is None else credentials.credentials
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise denials.refuse(AUTHENTICATION_FAILED, "metrics-token-rejected")
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
