"""Predictions for a validated request, the same for every transport (REST, gRPC, GraphQL)."""

import pandas as pd

from contracts import Prediction, PredictionRequest, PredictionResponse
from serving.metrics import ServiceMetrics
from serving.model import ModelHandle

CHURN_THRESHOLD = 0.5


def predict_response(
    payload: PredictionRequest, handle: ModelHandle, metrics: ServiceMetrics
) -> PredictionResponse:
    """One prediction per instance, in request order; ``churn`` is probability >= 0.5."""
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
