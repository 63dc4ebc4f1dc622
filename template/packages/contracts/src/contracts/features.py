"""Feature definitions shared by training and serving, so both compute them identically.

The derived features are written once, as column arithmetic that gives the same values on
pandas columns (training, features), numpy arrays (serving, which never imports pandas) and the
columns of the features step's engine (polars expressions, Spark columns).
"""

from collections.abc import Callable, Mapping
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

Column = TypeVar("Column")
# The engine's element-wise maximum of a column and a number: ``np.maximum`` serves numpy,
# pandas and polars; Spark passes ``greatest``. Everything else is plain arithmetic.
Maximum = Callable[[Column, float], Column]


def tickets_per_year(
    support_tickets: Column, tenure_months: Column, maximum: Maximum[Column] = np.maximum
) -> Column:
    """Support tickets per year of tenure; tenures under a month count as one month."""
    return support_tickets / (maximum(tenure_months, 1) / 12.0)  # type: ignore[operator]


def spend_per_engagement(monthly_spend: Column, engagement_score: Column) -> Column:
    return monthly_spend / (engagement_score + 0.05)  # type: ignore[operator]


def derived_columns(
    column: Callable[[str], Column], maximum: Maximum[Column] = np.maximum
) -> dict[str, Column]:
    """The derived features by name, written once for every engine: ``column(name)`` is the
    engine's column (a pandas Series, a polars ``pl.col``, a Spark ``F.col``)."""
    return {
        "tickets_per_year": tickets_per_year(
            column("support_tickets"), column("tenure_months"), maximum
        ),
        "spend_per_engagement": spend_per_engagement(
            column("monthly_spend"), column("engagement_score")
        ),
    }


def add_derived_features(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Return a copy of ``frame`` with the derived feature columns added."""
    out = frame.copy()
    for name, values in derived_columns(out.__getitem__).items():
        out[name] = values
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
