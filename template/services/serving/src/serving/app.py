"""Application factory: wires settings, model, middleware and routes into one FastAPI app."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from contracts import Settings
from serving.auth import warn_if_open
from serving.errors import install_error_handlers
from serving.metrics import ServiceMetrics
from serving.middleware import (
    BodySizeLimitMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from serving.model import ModelHandle, load_champion
from serving.routes import router

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, model: ModelHandle | None = None) -> FastAPI:
    """Build the API. Pass ``model`` to skip the registry (tests, embedding).

    Without ``model`` the champion is loaded from MLflow at startup; if that fails the app
    still starts, reports not-ready on /readyz and answers predictions with 503.
    """
    if settings is None:
        settings = Settings()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.model is None:
            try:
                # Registry and artifact I/O block; keep the event loop free meanwhile.
                app.state.model = await asyncio.to_thread(load_champion, settings)
            except Exception:
                logger.exception("loading the champion model failed; serving is not ready")
            metrics.set_model(app.state.model)
        yield

    production = settings.environment == "production"
    app = FastAPI(
        title="Churn prediction API",
        summary="Churn probability of customers from the champion model",
        version="1",
        lifespan=lifespan,
        # No public schema in production: it maps the attack surface for free.
        docs_url=None if production else "/docs",
        redoc_url=None,
        openapi_url=None if production else "/openapi.json",
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.model = model
    metrics.set_model(model)

    install_error_handlers(app)
    app.include_router(router)
    # Added last = outermost: headers wrap everything, metrics also see 413s.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)

    warn_if_open(settings)
    return app
