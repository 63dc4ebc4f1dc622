"""The analysis finds planted effects, keeps quiet on A/A tests and refuses broken ratios."""

import numpy as np
import pandas as pd
import pytest

from contracts.experiments import ExperimentDefinition
from experiments.analysis import analyse
from experiments.simulate import Scenario, simulate
from experiments.stats import (
    mean_mde,
    mean_sample_size,
    proportion_mde,
    proportion_sample_size,
    two_proportion_z_test,
    welch_t_test,
)


def _frames(
    definition: ExperimentDefinition, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulate(definition, scenario)


def test_a_planted_effect_is_detected(definition: ExperimentDefinition) -> None:
    exposures, outcomes = _frames(
        definition, Scenario(customers=20_000, seed=7, rate_uplift=0.03, value_uplift=3.0)
    )
    analysis = analyse(definition, exposures, outcomes)
    assert analysis.srm.passed
    assert analysis.verdict == "treatment_better"
    retained, revenue = analysis.comparisons["challenger"]
    assert retained.ci_low < 0.03 < retained.ci_high
    assert retained.p_value < 0.001
    assert revenue.difference > 0 and revenue.p_value < 0.05


def test_a_harmful_treatment_is_reported_as_worse(definition: ExperimentDefinition) -> None:
    exposures, outcomes = _frames(definition, Scenario(customers=20_000, seed=8, rate_uplift=-0.03))
    assert analyse(definition, exposures, outcomes).verdict == "treatment_worse"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_an_aa_test_is_not_flagged(definition: ExperimentDefinition, seed: int) -> None:
    exposures, outcomes = _frames(definition, Scenario(customers=10_000, seed=seed))
    analysis = analyse(definition, exposures, outcomes)
    assert analysis.verdict == "inconclusive"
    assert analysis.srm.passed


def test_a_sample_ratio_mismatch_makes_the_verdict_invalid(
    definition: ExperimentDefinition,
) -> None:
    # A 52/48 split of a 50/50 design, with a large effect that would otherwise win.
    rng = np.random.default_rng(3)
    customers = 20_000
    variant = np.where(np.arange(customers) < customers * 0.52, "champion", "challenger")
    exposures = pd.DataFrame(
        {
            "event_id": [f"e-{i}" for i in range(customers)],
            "experiment": "churn-model",
            "experiment_version": 1,
            "variant": variant,
            "customer_id": [f"c-{i}" for i in range(customers)],
            "timestamp": pd.Timestamp("2026-01-01", tz="UTC"),
            "source": "test",
        }
    )
    rate = np.where(variant == "challenger", 0.30, 0.20)
    outcomes = pd.DataFrame(
        {
            "event_id": [f"o-{i}" for i in range(customers)],
            "experiment": "churn-model",
            "customer_id": exposures["customer_id"],
            "metric": "retained",
            "value": (rng.random(customers) < rate).astype(float),
            "timestamp": pd.Timestamp("2026-01-02", tz="UTC"),
        }
    )
    analysis = analyse(definition, exposures, outcomes)
    assert not analysis.srm.passed
    assert analysis.comparisons["challenger"][0].p_value < 1e-6
    assert analysis.verdict == "invalid"


def test_z_test_matches_a_hand_computed_example() -> None:
    # 200/1000 vs 250/1000: pooled p = 0.225, se = sqrt(.225 * .775 * 2 / 1000) = 0.018675
    control = np.r_[np.ones(200), np.zeros(800)]
    treatment = np.r_[np.ones(250), np.zeros(750)]
    result = two_proportion_z_test(control, treatment)
    assert result.statistic == pytest.approx(0.05 / 0.0186748, rel=1e-4)
    assert result.p_value == pytest.approx(0.007418, rel=1e-3)


def test_welch_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(11)
    result = welch_t_test(rng.normal(10, 1, 500), rng.normal(10.5, 3, 400))
    assert result.ci_low < 0.5 < result.ci_high
    assert result.test == "Welch's t-test"


def test_sample_size_matches_textbook_values() -> None:
    # Two proportions 0.5 vs 0.6, alpha 0.05 two-sided, power 0.8: 388 per group (Fleiss,
    # without continuity correction). Means with effect size 0.5 sd: 63 per group.
    assert proportion_sample_size(0.5, 0.1) == 388
    assert mean_sample_size(1.0, 0.5) == 63


def test_mde_inverts_the_sample_size() -> None:
    mde = proportion_mde(0.2, 5_000)
    assert proportion_sample_size(0.2, mde) == 5_000
    assert mean_mde(1.0, 63) == pytest.approx(0.5, rel=0.01)
