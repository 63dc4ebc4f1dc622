"""API-key authentication for the prediction endpoint."""

import logging
import secrets
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from contracts import Settings
from serving.errors import APIError

API_KEY_HEADER = "X-API-Key"  # pragma: allowlist secret

logger = logging.getLogger(__name__)

# auto_error=False: we raise our own 401 with the JSON error shape (and fail closed below).
api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def auth_is_disabled(settings: Settings) -> bool:
    """No key configured outside production means open local development."""
    return settings.api_key is None and settings.environment != "production"


def warn_if_open(settings: Settings) -> None:
    if auth_is_disabled(settings):
        logger.warning(
            "APP_API_KEY is not set: /v1/predict accepts unauthenticated requests "
            "(allowed only because APP_ENVIRONMENT=%s)",
            settings.environment,
        )


def check_api_key(settings: Settings, presented: str | None) -> None:
    """Raise 401 unless ``presented`` matches the configured key (constant-time compare)."""
    if auth_is_disabled(settings):
        return
    expected = settings.api_key.get_secret_value().encode() if settings.api_key else b""
    # Bytes, because compare_digest rejects non-ASCII str; an empty key never matches.
    if not expected or not presented or not secrets.compare_digest(presented.encode(), expected):
        raise APIError(
            401,
            "unauthorized",
            f"missing or invalid {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )


def require_api_key(
    request: Request, presented: Annotated[str | None, Security(api_key_header)]
) -> None:
    """Route dependency; runs before body validation so anonymous callers learn nothing."""
    check_api_key(request.app.state.settings, presented)
