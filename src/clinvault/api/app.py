"""The app factory: ``create_app(settings, services=...)`` wires services, middleware,
routes, error handlers and the chat page. ``clinvault serve`` runs it on uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from clinvault.api.conversations import ConversationStore
from clinvault.api.deps import AppState
from clinvault.api.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    internal_error_handler,
    validation_error_handler,
)
from clinvault.api.logging import install_phi_filter
from clinvault.api.metrics import new_metrics
from clinvault.api.middleware import install_middleware
from clinvault.api.ratelimit import RateLimiter, open_preauth_limits, open_rate_limiter
from clinvault.api.refusals import RefusalLog
from clinvault.api.routes import chat, dev, health, openai_compat, patients, responses
from clinvault.api.services import ApiServices
from clinvault.settings import Settings

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings,
    *,
    services: ApiServices | None = None,
    limiter: RateLimiter | None = None,
) -> FastAPI:
    """``services`` given by the caller stay the caller's to close; otherwise the app opens
    them at startup and closes them at shutdown."""
    install_phi_filter()
    owned = services is None
    opened = services or ApiServices.open(settings)
    metrics = new_metrics()
    state = AppState(
        services=opened,
        limiter=limiter
        or open_rate_limiter(settings.api.rate_limit_per_minute, settings.api.redis_url),
        conversations=ConversationStore(settings.api.max_conversations),
        metrics=metrics,
        api=settings.api,
        preauth=open_preauth_limits(settings.api),
        refusals=RefusalLog(opened.audit, window_s=settings.api.refusal_audit_window_s),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.refusals.flush()
            if owned:
                opened.close()

    app = FastAPI(
        title="clinvault",
        version="0.1.0",
        summary="Zero-trust clinical question answering over a patient's record, with citations",
        lifespan=lifespan,
    )
    app.state.clinvault = state
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)
    for router in (
        chat.router,
        openai_compat.router,
        patients.router,
        responses.router,
        health.router,
    ):
        app.include_router(router)
    if settings.api.demo_sign_in:
        app.include_router(dev.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/chat", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    install_middleware(app, state)
    return app
