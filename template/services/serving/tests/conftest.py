"""A tiny real scikit-learn churn model and request payloads for the API tests."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from contracts import (
    CATEGORICAL_FEATURES,
    CHANNELS,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    REGIONS,
    Settings,
    add_derived_features,
)
from serving.model import ModelHandle

API_KEY = "test-key-0123456789"  # pragma: allowlist secret


def training_frame(rows: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Raw attributes with a clear signal: short tenure and low engagement churn."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tenure_months": rng.integers(0, 72, rows),
            "monthly_spend": rng.gamma(2.0, 30.0, rows),
            "engagement_score": rng.uniform(0, 1, rows),
            "support_tickets": rng.poisson(2.0, rows),
            "channel": rng.choice(CHANNELS, rows),
            "region": rng.choice(REGIONS, rows),
        }
    )
    logit = 2.0 - 0.08 * frame["tenure_months"] - 4.0 * frame["engagement_score"]
    label = pd.Series(rng.uniform(0, 1, rows) < 1 / (1 + np.exp(-logit)), name="churned")
    return add_derived_features(frame).loc[:, list(FEATURE_COLUMNS)], label


def fit_model() -> Pipeline:
    features, label = training_frame()
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression())]).fit(
        features, label
    )


@pytest.fixture(scope="session")
def sk_model() -> Pipeline:
    return fit_model()


@pytest.fixture(scope="session")
def model_handle(sk_model: Pipeline) -> ModelHandle:
    return ModelHandle(name="churn-test", version="7", model=sk_model)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        environment="test",
        api_key=API_KEY,
        mlflow_tracking_uri=None,
        model_name="churn-test",
        max_request_bytes=4_096,
    )


def make_instance(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customer_id": "c-1",
        "tenure_months": 24,
        "monthly_spend": 49.5,
        "engagement_score": 0.6,
        "support_tickets": 1,
        "channel": "web",
        "region": "north",
    }
    return {**base, **overrides}


@pytest.fixture
def instance() -> Callable[..., dict[str, Any]]:
    return make_instance
