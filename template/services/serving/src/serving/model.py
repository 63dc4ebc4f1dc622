"""The model the API serves, and how the champion is found in the MLflow registry."""

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from contracts import FEATURE_COLUMNS, NUMERIC_FEATURES, Settings, add_derived_features

CHAMPION_ALIAS = "champion"

logger = logging.getLogger(__name__)


class ProbabilisticClassifier(Protocol):
    """What serving needs from a model; any fitted scikit-learn classifier fits."""

    classes_: Any

    def predict_proba(self, features: pd.DataFrame) -> Any: ...


@dataclass(frozen=True)
class ModelHandle:
    """A loaded model plus the registry coordinates reported in responses and metrics."""

    name: str
    version: str
    model: ProbabilisticClassifier

    def churn_probabilities(self, instances: pd.DataFrame) -> np.ndarray:
        """P(churned=True) per row, from raw attributes (derived features computed here).

        Uses the same ``add_derived_features`` as the features service, so training and
        serving cannot compute features differently.
        """
        frame = add_derived_features(instances).loc[:, list(FEATURE_COLUMNS)]
        frame = frame.astype(dict.fromkeys(NUMERIC_FEATURES, "float64"))
        probabilities = np.asarray(self.model.predict_proba(frame), dtype=float)
        positive = list(self.model.classes_).index(True)
        # Guard against float rounding just outside [0, 1] breaking the response schema.
        return np.clip(probabilities[:, positive], 0.0, 1.0)


def _sqlite_path(tracking_uri: str) -> Path | None:
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(parsed.path))


def load_champion(settings: Settings) -> ModelHandle | None:
    """The version behind the champion alias, or None when there is nothing to serve yet.

    Resolves the alias once and loads that exact version, so the version reported is the
    version served even if training moves the alias meanwhile.
    """
    store = _sqlite_path(settings.tracking_uri)
    if store is not None and not store.exists():
        # Opening a missing SQLite store would create an empty registry as a side effect.
        logger.warning("no MLflow registry at %s; train a model first", store)
        return None

    # MLflow starts a telemetry client on first import that reaches out to the network;
    # opt out before importing it, unless the user chose otherwise.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow.sklearn
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = settings.tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        champion = client.get_model_version_by_alias(settings.model_name, CHAMPION_ALIAS)
    except MlflowException as exc:
        logger.warning(
            "no %s@%s in the registry (%s); serving is not ready",
            settings.model_name,
            CHAMPION_ALIAS,
            exc.error_code,
        )
        return None
    version = str(champion.version)
    mlflow.set_registry_uri(uri)
    mlflow.set_tracking_uri(uri)
    model = mlflow.sklearn.load_model(f"models:/{settings.model_name}/{version}")
    logger.info("loaded %s version %s", settings.model_name, version)
    return ModelHandle(name=settings.model_name, version=version, model=model)
