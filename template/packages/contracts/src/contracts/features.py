"""Feature definitions shared by training and serving, so both compute them identically."""

import pandas as pd

LABEL_COLUMN = "churned"
ID_COLUMN = "customer_id"
RAW_NUMERIC = ("tenure_months", "monthly_spend", "engagement_score", "support_tickets")
DERIVED_NUMERIC = ("tickets_per_year", "spend_per_engagement")
NUMERIC_FEATURES: tuple[str, ...] = RAW_NUMERIC + DERIVED_NUMERIC
CATEGORICAL_FEATURES: tuple[str, ...] = ("channel", "region")
FEATURE_COLUMNS: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES


def add_derived_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with the derived feature columns added."""
    out = frame.copy()
    tenure_years = out["tenure_months"].clip(lower=1) / 12.0
    out["tickets_per_year"] = out["support_tickets"] / tenure_years
    out["spend_per_engagement"] = out["monthly_spend"] / (out["engagement_score"] + 0.05)
    return out
