"""One JSON error shape for every failure, and no stack traces in responses."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

MAX_ERRORS = 10
MAX_MESSAGE_CHARS = 200

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class APIError(StarletteHTTPException):
    """An HTTP error with a stable machine-readable ``code`` for clients."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_doc(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for an error status, with the JSON error shape."""
    return {
        "description": description,
        "content": {"application/json": {"example": error_body("code", "message")}},
    }


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    details: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = getattr(exc, "code", None) or _CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, code, message, headers=exc.headers)


def validation_error_response(errors: list[dict[str, Any]], total: int) -> JSONResponse:
    """422 with at most ``MAX_ERRORS`` details; ``message`` says how many there were."""
    shown = errors[:MAX_ERRORS]
    message = "request failed validation"
    if total > len(shown):
        message += f" ({total} errors, first {len(shown)} shown)"
    return error_response(422, "validation_error", message, details=shown)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Location, message and type only: echoing "input" would reflect client data back.
    errors = list(exc.errors())
    details = [
        {
            "loc": list(err.get("loc", ())),
            "msg": str(err.get("msg", ""))[:MAX_MESSAGE_CHARS],
            "type": err.get("type", ""),
        }
        for err in errors[:MAX_ERRORS]
    ]
    return validation_error_response(details, len(errors))


async def _unhandled_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled_error)
