"""The model the API serves, and how a registry version becomes one.

Serving decides how a model is read, never the artifact: only ``model.skops`` is loaded, with
skops and the trusted types listed here, after the files match the sha256 digest that training
recorded at registration, and only if a smoke prediction then succeeds. ``MLmodel`` (whose
``serialization_format`` or ``skops_trusted_types`` an attacker could edit) is never consulted.
"""

import hmac
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from contracts import (
    CHANNELS,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    REGIONS,
    Settings,
    add_derived_features,
)
from contracts.artifacts import ARTIFACT_DIGEST_TAG, artifact_digest

CHAMPION_ALIAS = "champion"
MODEL_FILE = "model.skops"
# Types beyond skops' built-in safe list (scikit-learn estimators, numpy, builtins) that the
# model kinds training can produce contain. Widen it here, in code review, when a new kind
# needs more; a type outside it makes the load fail, whatever the artifact claims.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

logger = logging.getLogger(__name__)


class ModelRejected(Exception):
    """A registry version that must not be served: tampered, unsafe format or broken."""


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


@dataclass(frozen=True)
class ChampionRef:
    """The version behind the alias and the digest training recorded for it."""

    version: str
    digest: str | None


@cache
def smoke_instances() -> pd.DataFrame:
    """Valid requests covering every channel and region, from new to long-standing customers."""
    rows = [
        {
            "tenure_months": 6 * index,
            "monthly_spend": 10.0 + 15 * index,
            "engagement_score": index / 8,
            "support_tickets": index % 5,
            "channel": CHANNELS[index % len(CHANNELS)],
            "region": REGIONS[index % len(REGIONS)],
        }
        for index in range(8)
    ]
    return pd.DataFrame(rows)


def smoke_test(handle: ModelHandle) -> None:
    """A prediction over ``smoke_instances`` must give one probability in [0, 1] per row."""
    frame = smoke_instances()
    try:
        probabilities = handle.churn_probabilities(frame)
    except Exception as exc:
        raise ModelRejected(f"smoke prediction failed: {type(exc).__name__}") from exc
    if probabilities.shape != (len(frame),) or not all(
        math.isfinite(value) and 0.0 <= value <= 1.0 for value in probabilities.tolist()
    ):
        raise ModelRejected("smoke prediction returned no valid probability per row")


def verify_digest(directory: Path, expected: str | None) -> None:
    if not expected:
        raise ModelRejected(f"the version has no {ARTIFACT_DIGEST_TAG} tag; re-register it")
    try:
        actual = artifact_digest(directory)
    except (OSError, ValueError) as exc:
        raise ModelRejected(f"artifact files unreadable: {exc}") from exc
    if not hmac.compare_digest(actual, expected.lower()):
        raise ModelRejected("artifact files do not match the digest recorded at registration")


def load_skops(path: Path) -> ProbabilisticClassifier:
    """The estimator in ``path``, read by skops with our trusted types; never unpickled."""
    import skops.io

    if not path.is_file():
        raise ModelRejected(f"no {MODEL_FILE} in the artifact; only skops models are served")
    try:
        model = skops.io.load(path, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # untrusted types, not a skops file, corrupt zip, ...
        raise ModelRejected(f"{MODEL_FILE} refused by skops: {type(exc).__name__}") from exc
    if not callable(getattr(model, "predict_proba", None)) or True not in list(
        getattr(model, "classes_", [])
    ):
        raise ModelRejected("the artifact is not a fitted churn classifier")
    return model


def load_verified(directory: Path, ref: ChampionRef, name: str) -> ModelHandle:
    """Verify the files, load them safely and smoke-test the result."""
    verify_digest(directory, ref.digest)
    handle = ModelHandle(name=name, version=ref.version, model=load_skops(directory / MODEL_FILE))
    smoke_test(handle)
    return handle


def _sqlite_path(tracking_uri: str) -> Path | None:
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(parsed.path))


class ModelRegistry:
    """The MLflow registry as serving sees it: which version is champion, and its files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.model_name
        self.uri = settings.tracking_uri

    def _client(self) -> Any:
        # MLflow starts a telemetry client on first import that reaches out to the network;
        # opt out before importing it, unless the user chose otherwise.
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def champion(self) -> ChampionRef | None:
        """The champion's version and digest, or None when there is nothing to serve yet."""
        store = _sqlite_path(self.uri)
        if store is not None and not store.exists():
            # Opening a missing SQLite store would create an empty registry as a side effect.
            logger.debug("no MLflow registry at %s yet", store)
            return None
        from mlflow.exceptions import MlflowException

        client = self._client()
        try:
            version = client.get_model_version_by_alias(self.name, CHAMPION_ALIAS)
        except MlflowException as exc:
            logger.debug("no %s@%s yet (%s)", self.name, CHAMPION_ALIAS, exc.error_code)
            return None
        return ChampionRef(
            version=str(version.version), digest=(version.tags or {}).get(ARTIFACT_DIGEST_TAG)
        )

    def load(self, ref: ChampionRef) -> ModelHandle:
        """Download the version's files, verify, load and smoke-test them."""
        import mlflow.artifacts

        source = self._client().get_model_version_download_uri(self.name, ref.version)
        with tempfile.TemporaryDirectory(prefix="serving-model-") as scratch:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=source, dst_path=scratch, tracking_uri=self.uri
            )
            handle = load_verified(Path(local), ref, self.name)
        logger.info("loaded %s version %s", self.name, ref.version)
        return handle


def load_champion(settings: Settings) -> ModelHandle | None:
    """The verified champion, or None when there is none yet; ModelRejected if unsafe."""
    registry = ModelRegistry(settings)
    ref = registry.champion()
    return None if ref is None else registry.load(ref)
