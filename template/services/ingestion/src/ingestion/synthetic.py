"""Deterministic synthetic customer data whose label carries real, learnable signal.

The attributes are drawn here; the use case's label is drawn from them by ``contracts.labels``
(a model of the attributes, so the training quality gate is meaningful). A use case whose
structure lives in the attributes themselves (segmentation's planted segments) returns the
attributes it reshapes with its label; they replace the ones drawn here.
"""

import numpy as np
import pandas as pd

from contracts import CHANNELS, REGIONS
from contracts.labels import draw_label
from ingestion.schema import RAW_COLUMNS

_REGION_WEIGHTS = (0.30, 0.25, 0.25, 0.20)

# Invalid rows injected for the features service's quarantine to catch; each kind breaks one
# rule of CustomerRecord so a quarantined row's reason is unambiguous.
INVALID_KINDS: tuple[str, ...] = (
    "negative_spend",
    "null_engagement",
    "unknown_channel",
    "engagement_out_of_range",
    "duplicate_id",
)


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be within [0, 1], got {value}")


def _channel_weights(drift: float) -> list[float]:
    # Drift moves customers from web to mobile, a typical shift a monitoring demo should catch.
    weights = {"web": 0.45 - 0.25 * drift, "mobile": 0.30 + 0.25 * drift, "store": 0.15}
    weights["partner"] = 0.10
    return [weights[channel] for channel in CHANNELS]


def generate_customers(n_rows: int, seed: int, drift: float = 0.0) -> pd.DataFrame:
    """Return ``n_rows`` valid customer records; identical for identical arguments.

    ``drift`` in [0, 1] interpolates from the reference population (0) to a visibly shifted
    one (1): shorter tenure, lower engagement, higher spend, more tickets, more mobile users.
    """
    if n_rows < 1:
        raise ValueError(f"n_rows must be positive, got {n_rows}")
    _check_fraction("drift", drift)
    rng = np.random.default_rng(seed)

    tenure = np.floor(rng.gamma(2.0, 14.0 * (1.0 - 0.3 * drift), n_rows)).astype(np.int64)
    tenure = np.clip(tenure, 0, 600)
    engagement = np.round(rng.beta(2.5, 2.5 + 1.0 * drift, n_rows), 4)
    spend = np.round(np.clip(rng.lognormal(3.5 + 0.4 * drift, 0.55, n_rows), 0, 100_000), 2)
    # Disengaged customers need more help: tickets correlate with low engagement.
    tickets = rng.poisson(0.5 + 2.5 * (1.0 - engagement) + 0.5 * drift).astype(np.int64)
    tickets = np.clip(tickets, 0, 1_000)
    channel = rng.choice(np.array(CHANNELS), size=n_rows, p=_channel_weights(drift))
    region = rng.choice(np.array(REGIONS), size=n_rows, p=list(_REGION_WEIGHTS))

    attributes = {
        "tenure_months": tenure,
        "monthly_spend": spend,
        "engagement_score": engagement,
        "support_tickets": tickets,
        "channel": channel,
        "region": region,
    }
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(n_rows)],
            **attributes,
            **draw_label(attributes, rng, drift),
        }
    )
    return frame.loc[:, list(RAW_COLUMNS)]


def inject_invalid_rows(frame: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """Return a copy where ``round(fraction * len)`` rows each break one contract rule.

    The rows are picked by their own generator (derived from ``seed``) so changing the
    fraction never changes the valid rows. Column dtypes are preserved: the damage must look
    like bad values from a real source, not like a different file format.
    """
    _check_fraction("invalid_fraction", fraction)
    out = frame.copy()
    n_invalid = round(fraction * len(out))
    if n_invalid == 0:
        return out
    rng = np.random.default_rng([seed, 1])
    # Row 0 is never damaged so duplicate ids always have an intact row to copy from.
    candidates = np.arange(1, len(out))
    rows = np.sort(rng.choice(candidates, size=min(n_invalid, candidates.size), replace=False))
    for position, row in enumerate(rows):
        kind = INVALID_KINDS[position % len(INVALID_KINDS)]
        if kind == "negative_spend":
            out.loc[row, "monthly_spend"] = -abs(float(out.loc[row, "monthly_spend"])) - 1.0
        elif kind == "null_engagement":
            out.loc[row, "engagement_score"] = np.nan
        elif kind == "unknown_channel":
            out.loc[row, "channel"] = "fax"
        elif kind == "engagement_out_of_range":
            out.loc[row, "engagement_score"] = 1.5
        else:
            out.loc[row, "customer_id"] = out.loc[row - 1, "customer_id"]
    return out
