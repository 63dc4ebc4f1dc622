"""REST prediction endpoint: POST /v1/predict. Health is in ``serving.health``."""

import logging
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request, Response

from contracts.records import PredictionResponse
from serving.errors import APIError, error_doc, validation_error_response
from serving.health import loaded_model
from serving.metrics import ServiceMetrics
from serving.model import ModelHandle
from serving.parsing import InvalidRequest, parse_prediction_request
from serving.predict import predict_json
from serving.ratelimit import enforce_rate_limit

logger = logging.getLogger(__name__)

router = APIRouter()

JSON = "application/json"
# Parsing, validation and prediction hold the GIL, in C for up to a few tens of milliseconds
# on a body of the maximum size. One such job at a time leaves the event loop (and /healthz)
# a turn at every GIL switch instead of one turn per many competing workers; scale out with
# worker processes (APP_WORKERS) and replicas, not threads.
_CPU_SLOTS = anyio.CapacityLimiter(1)
# Bodies up to this size (about 40 instances) are handled on the event loop: their whole
# parse-validate-predict takes well under a millisecond, less than the hand-off to a thread.
INLINE_BODY_BYTES = 8 * 1024


PREDICT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_doc("Missing or invalid API key"),
    413: error_doc("Request body too large"),
    415: error_doc("Body is not application/json"),
    422: error_doc("Invalid payload (at most 10 errors are listed)"),
    429: error_doc("Rate limit of this API key exceeded; see Retry-After"),
    503: error_doc("No model loaded"),
}


async def service_metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == JSON or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _predict(body: bytes, handle: ModelHandle, metrics: ServiceMetrics) -> bytes:
    """The JSON response to ``body``: the same predictions as ``predict_response``, serialised
    once with orjson; ``InvalidRequest`` when the body is not a valid request."""
    return predict_json(parse_prediction_request(body).instances, handle, metrics)


@router.post(
    "/v1/predict",
    response_model=PredictionResponse,
    responses=PREDICT_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/PredictionRequest"}}},
        }
    },
)
async def predict(
    request: Request,
    identity: Annotated[str, Depends(enforce_rate_limit)],
    handle: Annotated[ModelHandle, Depends(loaded_model)],
    metrics: Annotated[ServiceMetrics, Depends(service_metrics)],
) -> Response:
    """Churn probability per customer; ``churn`` is probability >= 0.5.

    Order of checks: API key, rate limit, model, media type; only then is the body read
    (size-limited while it streams), parsed and validated (off the event loop unless small).
    """
    if not _is_json(request):
        raise APIError(415, "unsupported_media_type", f"Content-Type must be {JSON}")
    body = await request.body()
    try:
        if len(body) <= INLINE_BODY_BYTES:
            content = _predict(body, handle, metrics)
        else:
            content = await anyio.to_thread.run_sync(
                _predict, body, handle, metrics, limiter=_CPU_SLOTS
            )
    except InvalidRequest as exc:
        return validation_error_response(exc.errors, exc.total)
    return Response(content, media_type=JSON)
