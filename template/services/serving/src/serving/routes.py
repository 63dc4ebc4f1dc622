"""HTTP endpoints: prediction, liveness, readiness and Prometheus metrics."""

import logging
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts import Prediction, PredictionRequest, PredictionResponse
from serving.auth import require_api_key
from serving.errors import APIError, error_body
from serving.metrics import ServiceMetrics
from serving.model import ModelHandle

logger = logging.getLogger(__name__)

router = APIRouter()

CHURN_THRESHOLD = 0.5


def _error_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"example": error_body("code", "message")}},
    }


def service_metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


def loaded_model(request: Request) -> ModelHandle:
    handle: ModelHandle | None = request.app.state.model
    if handle is None:
        raise APIError(503, "model_not_loaded", "no champion model is loaded")
    return handle


@router.post(
    "/v1/predict",
    response_model=PredictionResponse,
    dependencies=[Depends(require_api_key)],
    responses={
        401: _error_doc("Missing or invalid API key"),
        413: _error_doc("Request body too large"),
        422: _error_doc("Invalid payload"),
        503: _error_doc("No model loaded"),
    },
)
def predict(
    payload: PredictionRequest,
    handle: Annotated[ModelHandle, Depends(loaded_model)],
    metrics: Annotated[ServiceMetrics, Depends(service_metrics)],
) -> PredictionResponse:
    """Churn probability per customer; ``churn`` is probability >= 0.5.

    A plain ``def`` so FastAPI runs the CPU-bound model call in its thread pool.
    """
    frame = pd.DataFrame(
        [instance.model_dump(exclude={"customer_id"}) for instance in payload.instances]
    )
    probabilities = handle.churn_probabilities(frame)
    predictions = []
    for instance, probability in zip(payload.instances, probabilities, strict=True):
        churn = bool(probability >= CHURN_THRESHOLD)
        metrics.churn_probability.observe(float(probability))
        metrics.predictions.labels(churn=str(churn).lower()).inc()
        predictions.append(
            Prediction(
                customer_id=instance.customer_id,
                churn_probability=float(probability),
                churn=churn,
            )
        )
    return PredictionResponse(
        model_name=handle.name, model_version=handle.version, predictions=predictions
    )


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers. Never depends on the model, so it is not restarted."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: _error_doc("No model loaded")})
def readyz(handle: Annotated[ModelHandle, Depends(loaded_model)]) -> dict[str, str]:
    """Readiness: route traffic here only once a model is loaded."""
    return {"status": "ready", "model_name": handle.name, "model_version": handle.version}


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(
    metrics: Annotated[ServiceMetrics, Depends(service_metrics)],
) -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
