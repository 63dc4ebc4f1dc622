"""Synthetic exposures and outcomes with a planted effect, so the analysis runs offline.

Customers are assigned by the real hashing of the definition; outcomes are drawn from a seeded
generator. Event ids derive from the seed, the experiment and the customer, so running the same
simulation twice writes nothing new.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from contracts.experiments import (
    EXPOSURE_COLUMNS,
    OUTCOME_COLUMNS,
    ExperimentDefinition,
    assign_many,
)

SOURCE = "experiments-simulate"
_NAMESPACE = uuid.UUID("6f1c2d4e-8a7b-4c3d-9e0f-a1b2c3d4e5f6")


@dataclass(frozen=True)
class Scenario:
    """What to simulate: a conversion rate and a mean value for control, and the uplifts every
    treatment gets on top (absolute)."""

    customers: int = 20_000
    seed: int = 42
    baseline_rate: float = 0.20
    rate_uplift: float = 0.0
    baseline_value: float = 50.0
    value_uplift: float = 0.0
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)


def _event_id(seed: int, *parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join((str(seed), *parts))).hex


def simulate(
    definition: ExperimentDefinition, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exposures of ``scenario.customers`` customers and their outcomes for every metric, as
    event tables (the columns of ``ExposureEvent`` and ``OutcomeEvent``)."""
    if scenario.customers < 2:
        raise ValueError("simulate at least 2 customers")
    rng = np.random.default_rng(scenario.seed)
    customers = [f"sim-{scenario.seed}-{index}" for index in range(scenario.customers)]
    variants = np.array(assign_many(definition, customers))
    treated = variants != definition.control
    rate = np.clip(scenario.baseline_rate + treated * scenario.rate_uplift, 0, 1)
    converted = (rng.random(len(customers)) < rate).astype(float)
    # Gamma with shape 2: skewed like revenue; the mean moves by the uplift.
    mean_value = np.maximum(scenario.baseline_value + treated * scenario.value_uplift, 1e-6)
    values = rng.gamma(2.0, mean_value / 2.0)
    seconds = pd.to_timedelta(rng.integers(0, 86_400, len(customers)), unit="s")
    exposed_at = pd.Timestamp(scenario.start) + seconds
    exposures = pd.DataFrame(
        {
            "event_id": [
                _event_id(scenario.seed, definition.name, "exposure", c) for c in customers
            ],
            "experiment": definition.name,
            "experiment_version": definition.version,
            "variant": variants,
            "customer_id": customers,
            "timestamp": exposed_at,
            "source": SOURCE,
        },
        columns=list(EXPOSURE_COLUMNS),
    )
    outcomes = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": [
                        _event_id(scenario.seed, definition.name, metric.name, c) for c in customers
                    ],
                    "experiment": definition.name,
                    "customer_id": customers,
                    "metric": metric.name,
                    "value": converted if metric.kind == "conversion" else values,
                    "timestamp": exposed_at + pd.Timedelta(days=1),
                },
                columns=list(OUTCOME_COLUMNS),
            )
            for metric in definition.metrics
        ],
        ignore_index=True,
    )
    return exposures, outcomes
