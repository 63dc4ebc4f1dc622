"""Application factory: wires settings, model, middleware and routes into one FastAPI app."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import make_asgi_app
from starlette.types import ASGIApp

from contracts import PredictionRequest, Settings
from serving.auth import warn_if_open
from serving.errors import install_error_handlers
from serving.metrics import ServiceMetrics
from serving.middleware import (
    BodySizeLimitMiddleware,
    MetricsMiddleware,
    SecurityHeadersMiddleware,
)
from serving.model import ModelHandle, ModelRegistry
from serving.ratelimit import RateLimiter
from serving.reload import ModelReloader, Registry
from serving.routes import router

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    model: ModelHandle | None = None,
    registry: Registry | None = None,
) -> FastAPI:
    """Build the API. Pass ``model`` to serve it and skip the registry (tests, embedding).

    Without ``model`` the champion is loaded from ``registry`` (MLflow by default) at start-up
    and the alias is polled every ``APP_MODEL_POLL_SECONDS``: until a verified champion is
    loaded, /readyz and /v1/predict answer 503.
    """
    if settings is None:
        settings = Settings()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if model is not None:
            yield
            return
        reloader = ModelReloader(app.state, registry or ModelRegistry(settings), metrics)
        await reloader.poll_once()
        if app.state.model is None:
            logger.warning("no verified champion model yet; serving is not ready")
        poller = None
        if settings.model_poll_seconds > 0:
            poller = asyncio.create_task(reloader.run(settings.model_poll_seconds))
        try:
            yield
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

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
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    metrics.set_model(model)

    install_error_handlers(app)
    app.include_router(router)
    # Added last = outermost: headers wrap everything, metrics also see 413s.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)

    def openapi() -> dict[str, Any]:
        # /v1/predict reads its body itself (after authentication), so FastAPI does not see
        # the request model; add it to the schema the route refers to.
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            body = PredictionRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body.pop("$defs", {}))
            components["PredictionRequest"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    warn_if_open(settings)
    return app


def create_metrics_app(app: FastAPI) -> ASGIApp:
    """``/metrics`` of ``app``, served on its own port (APP_METRICS_PORT) by ``serve``."""
    metrics: ServiceMetrics = app.state.metrics
    return make_asgi_app(registry=metrics.registry)
