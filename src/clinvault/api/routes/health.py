"""``/healthz`` (the process answers), ``/readyz`` (vault, index, audit and model route
answer), ``/metrics`` (Prometheus). Unauthenticated, and they reveal no data."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from clinvault.api.deps import State
from clinvault.api.schemas import Readiness
from clinvault.api.services import ApiServices
from clinvault.errors import ClinvaultError

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
        "vault": services.vault.store.counts,
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
    if not services.settings.llm.route_plan():
        raise ValueError("no model route")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "Prometheus text exposition",
        }
    },
)
async def metrics(state: State) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
