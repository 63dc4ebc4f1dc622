"""Seeded synthetic customer events whose churn carries the same signal as the batch data.

Customers are the batch's (``C0000000`` ... ``C<APP_N_ROWS - 1>``); attributes follow the
synthetic batch's distributions and churn follows the same logistic model (short tenure, low
engagement and many tickets raise it), so events change the features the way real behaviour
would. The same seed, day and count give the same events, ids included: producing them twice
sends duplicates, which the consumer drops.
"""

import hashlib
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from contracts import CHANNELS, REGIONS
from contracts.events import CustomerEvent, CustomerEventPayload

# The logistic churn model of the synthetic batch data (ingestion.synthetic), per attribute.
_INTERCEPT = -2.0
_TENURE_COEF = -1.0
_ENGAGEMENT_COEF = -6.0
_TICKETS_COEF = 0.5
_SPEND_COEF = 0.004
_REFERENCE = {"tenure": 28, "engagement": 0.5, "tickets": 1.75, "spend": 38.0}
_CHANNEL_EFFECT = {"web": 0.0, "mobile": 0.35, "store": -0.4, "partner": 0.2}
_REGION_EFFECT = {"north": 0.0, "south": 0.25, "east": -0.15, "west": 0.1}
_CHANNEL_WEIGHTS = {"web": 0.45, "mobile": 0.30, "store": 0.15, "partner": 0.10}
_REGION_WEIGHTS = {"north": 0.30, "south": 0.25, "east": 0.25, "west": 0.20}


def churn_probability(
    tenure: np.ndarray,
    engagement: np.ndarray,
    tickets: np.ndarray,
    spend: np.ndarray,
    channel: np.ndarray,
    region: np.ndarray,
) -> np.ndarray:
    logit = (
        _INTERCEPT
        + _TENURE_COEF * (np.log1p(tenure) - np.log1p(_REFERENCE["tenure"]))
        + _ENGAGEMENT_COEF * (engagement - _REFERENCE["engagement"])
        + _TICKETS_COEF * (tickets - _REFERENCE["tickets"])
        + _SPEND_COEF * (spend - _REFERENCE["spend"])
        + np.array([_CHANNEL_EFFECT[str(value)] for value in channel])
        + np.array([_REGION_EFFECT[str(value)] for value in region])
    )
    return 1.0 / (1.0 + np.exp(-logit))  # type: ignore[no-any-return]


def event_id(seed: int, day: date, index: int) -> str:
    """A stable id: the same event produced again is recognisably the same event."""
    return hashlib.sha256(f"{seed}:{day.isoformat()}:{index}".encode()).hexdigest()[:32]


def generate_events(count: int, *, seed: int, day: date, customers: int) -> list[CustomerEvent]:
    """``count`` events of ``day`` for customers of the synthetic batch, in time order."""
    if count < 0 or customers < 1:
        raise ValueError("count must be >= 0 and customers >= 1")
    rng = np.random.default_rng([seed, day.toordinal()])
    ids = rng.integers(0, customers, count)
    tenure = np.clip(np.floor(rng.gamma(2.0, 14.0, count)), 0, 600).astype(np.int64)
    engagement = np.round(rng.beta(2.5, 2.5, count), 4)
    spend = np.round(np.clip(rng.lognormal(3.5, 0.55, count), 0, 100_000), 2)
    tickets = np.clip(rng.poisson(0.5 + 2.5 * (1.0 - engagement)), 0, 1_000).astype(np.int64)
    channel = rng.choice(np.array(CHANNELS), size=count, p=[_CHANNEL_WEIGHTS[c] for c in CHANNELS])
    region = rng.choice(np.array(REGIONS), size=count, p=[_REGION_WEIGHTS[r] for r in REGIONS])
    churned = rng.random(count) < churn_probability(
        tenure, engagement, tickets, spend, channel, region
    )
    seconds = np.sort(rng.integers(0, 24 * 3600, count))
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    events = []
    for i in range(count):
        if churned[i]:
            kind = "churned"
        else:
            kind = "support_ticket_opened" if tickets[i] > 2 else "profile_updated"
        events.append(
            CustomerEvent(
                event_id=event_id(seed, day, i),
                customer_id=f"C{int(ids[i]):07d}",
                event_type=kind,
                timestamp=midnight + timedelta(seconds=int(seconds[i])),
                payload=CustomerEventPayload(
                    tenure_months=int(tenure[i]),
                    monthly_spend=float(spend[i]),
                    engagement_score=float(engagement[i]),
                    support_tickets=int(tickets[i]),
                    channel=str(channel[i]),
                    region=str(region[i]),
                    churned=bool(churned[i]),
                ),
            )
        )
    return events
