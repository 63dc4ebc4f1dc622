"""Feature definitions shared by training and serving, so both compute them identically.

The derived features are written once, as array arithmetic that gives the same values on
pandas columns (training, features) and on numpy arrays (serving, which never imports pandas).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

LABEL_COLUMN = "churned"
ID_COLUMN = "customer_id"
RAW_NUMERIC = ("tenure_months", "monthly_spend", "engagement_score", "support_tickets")
DERIVED_NUMERIC = ("tickets_per_year", "spend_per_engagement")
NUMERIC_FEATURES: tuple[str, ...] = RAW_NUMERIC + DERIVED_NUMERIC
CATEGORICAL_FEATURES: tuple[str, ...] = ("channel", "region")
FEATURE_COLUMNS: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

Column = TypeVar("Column", "pd.Series", np.ndarray)


def tickets_per_year(support_tickets: Column, tenure_months: Column) -> Column:
    """Support tickets per year of tenure; tenures under a month count as one month."""
    return support_tickets / (np.maximum(tenure_months, 1) / 12.0)  # type: ignore[no-any-return]


def spend_per_engagement(monthly_spend: Column, engagement_score: Column) -> Column:
    return monthly_spend / (engagement_score + 0.05)  # type: ignore[no-any-return]


def add_derived_features(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Return a copy of ``frame`` with the derived feature columns added."""
    out = frame.copy()
    out["tickets_per_year"] = tickets_per_year(out["support_tickets"], out["tenure_months"])
    out["spend_per_engagement"] = spend_per_engagement(
        out["monthly_spend"], out["engagement_score"]
    )
    return out


def model_inputs(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The ONNX model's inputs: one ``(rows, 1)`` tensor per feature column, by name.

    Numeric columns are float32, categorical ones strings: the input types the model is
    exported with at registration (``training.onnx_export``) and checked by serving.
    """
    inputs = {
        name: np.asarray(columns[name], dtype=np.float32).reshape(-1, 1)
        for name in NUMERIC_FEATURES
    }
    for name in CATEGORICAL_FEATURES:
        inputs[name] = np.asarray(columns[name], dtype=object).reshape(-1, 1)
    return inputs
