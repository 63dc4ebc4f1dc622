"""API-key authentication: several valid keys (rotation), compared as sha256 digests."""

import hashlib
import hmac
import logging
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from contracts import Settings
from serving.errors import APIError

API_KEY_HEADER = "X-API-Key"  # pragma: allowlist secret
# Caller identity when authentication is off (local development only): one shared bucket.
ANONYMOUS = "anonymous"

logger = logging.getLogger(__name__)

# auto_error=False: we raise our own 401 with the JSON error shape (and fail closed below).
api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def auth_is_disabled(settings: Settings) -> bool:
    """No key configured outside production means open local development."""
    return not settings.api_key_digests and settings.environment != "production"


def warn_if_open(settings: Settings) -> None:
    if auth_is_disabled(settings):
        logger.warning(
            "APP_API_KEY is not set: predictions are served to unauthenticated requests "
            "(allowed only because APP_ENVIRONMENT=%s)",
            settings.environment,
        )


def identify(settings: Settings, presented: str | None) -> str | None:
    """The caller's identity (a digest prefix of its key), or None for a wrong or missing key.

    Every configured digest is compared in constant time, with no early exit, so timing
    tells nothing about which key (or how much of it) matched.
    """
    if auth_is_disabled(settings):
        return ANONYMOUS
    if not presented:
        return None
    digest = hashlib.sha256(presented.encode()).digest()
    matched: bytes | None = None
    for expected in settings.api_key_digests:
        if hmac.compare_digest(digest, expected):
            matched = expected
    return matched.hex()[:16] if matched is not None else None


def check_api_key(settings: Settings, presented: str | None) -> str:
    """The caller's identity; 401 unless ``presented`` is one of the valid keys."""
    identity = identify(settings, presented)
    if identity is None:
        raise APIError(
            401,
            "unauthorized",
            f"missing or invalid {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    return identity


async def require_api_key(
    request: Request, presented: Annotated[str | None, Security(api_key_header)]
) -> str:
    """Route dependency; runs before the body is read, so anonymous callers cost nothing."""
    return check_api_key(request.app.state.settings, presented)


async def optional_identity(request: Request) -> str | None:
    """The identity of an authenticated caller, None for anyone else (never a 401).

    Reads the header itself rather than through ``Security``: the route stays public in the
    OpenAPI schema, which is what it is.
    """
    settings: Settings = request.app.state.settings
    if auth_is_disabled(settings):
        return None
    return identify(settings, request.headers.get(API_KEY_HEADER))
