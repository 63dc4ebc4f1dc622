"""Predictions for a validated request, the same for every transport (REST, gRPC, GraphQL).

The feature columns are built with numpy in one pass over the validated instances, the model
runs once per request, and metrics are recorded per request (not per row).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson

from contracts.features import CATEGORICAL_FEATURES, RAW_NUMERIC
from contracts.records import Prediction, PredictionInstance, PredictionRequest, PredictionResponse
from serving.metrics import ServiceMetrics
from serving.model import ModelHandle

CHURN_THRESHOLD = 0.5


def instance_columns(instances: Sequence[PredictionInstance]) -> dict[str, np.ndarray]:
    """Raw attribute columns of validated instances: one float64 matrix, sliced per column."""
    numeric = np.array(
        [
            (item.tenure_months, item.monthly_spend, item.engagement_score, item.support_tickets)
            for item in instances
        ],
        dtype=np.float64,
    ).reshape(-1, len(RAW_NUMERIC))
    columns = {name: numeric[:, index] for index, name in enumerate(RAW_NUMERIC)}
    channel, region = CATEGORICAL_FEATURES
    columns[channel] = np.array([item.channel for item in instances], dtype=object)
    columns[region] = np.array([item.region for item in instances], dtype=object)
    return columns


@dataclass(frozen=True)
class Scores:
    """Probability and decision per instance, in request order."""

    probabilities: list[float]
    churn: list[bool]


def score(
    instances: Sequence[PredictionInstance], handle: ModelHandle, metrics: ServiceMetrics
) -> Scores:
    """Run the model over ``instances`` and record the prediction metrics."""
    probabilities = handle.churn_probabilities(instance_columns(instances))
    churn = probabilities >= CHURN_THRESHOLD
    metrics.observe_predictions(probabilities, churn)
    return Scores(probabilities=probabilities.tolist(), churn=churn.tolist())


def predict_response(
    payload: PredictionRequest, handle: ModelHandle, metrics: ServiceMetrics
) -> PredictionResponse:
    """One prediction per instance, in request order; ``churn`` is probability >= 0.5."""
    scores = score(payload.instances, handle, metrics)
    # Values the model produced and clipped to [0, 1]: constructed, not validated again.
    predictions = [
        Prediction.model_construct(
            customer_id=instance.customer_id, churn_probability=probability, churn=churn
        )
        for instance, probability, churn in zip(
            payload.instances, scores.probabilities, scores.churn, strict=True
        )
    ]
    return PredictionResponse.model_construct(
        model_name=handle.name, model_version=handle.version, predictions=predictions
    )


def predict_json(
    instances: Sequence[PredictionInstance], handle: ModelHandle, metrics: ServiceMetrics
) -> bytes:
    """``predict_response`` serialised straight to JSON bytes (the REST fast path)."""
    scores = score(instances, handle, metrics)
    return orjson.dumps(
        {
            "model_name": handle.name,
            "model_version": handle.version,
            "predictions": [
                {
                    "customer_id": instance.customer_id,
                    "churn_probability": probability,
                    "churn": churn,
                }
                for instance, probability, churn in zip(
                    instances, scores.probabilities, scores.churn, strict=True
                )
            ],
        }
    )
