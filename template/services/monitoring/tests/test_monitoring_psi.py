"""PSI behaves like the statistic people read it as: 0 for no change, large for real shifts."""

import numpy as np
import pandas as pd
import pytest

from monitoring.psi import categorical_psi, numeric_psi, psi_from_shares, quantile_cut_points


def test_identical_numeric_samples_score_zero() -> None:
    values = pd.Series(np.random.default_rng(1).normal(size=5_000))
    assert numeric_psi(values, values.copy()) == pytest.approx(0.0, abs=1e-12)


def test_same_distribution_new_sample_stays_stable() -> None:
    rng = np.random.default_rng(2)
    reference = pd.Series(rng.normal(size=5_000))
    current = pd.Series(rng.normal(size=5_000))
    assert numeric_psi(reference, current) < 0.05


def test_shifted_numeric_sample_scores_high() -> None:
    rng = np.random.default_rng(3)
    reference = pd.Series(rng.normal(size=5_000))
    current = pd.Series(rng.normal(loc=1.0, size=5_000))
    assert numeric_psi(reference, current) > 0.5


def test_psi_matches_the_textbook_formula() -> None:
    reference = np.array([0.5, 0.5])
    current = np.array([0.25, 0.75])
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi_from_shares(reference, current, 1e-4) == pytest.approx(expected)


def test_discrete_column_merges_duplicate_quantiles() -> None:
    reference = pd.Series([0] * 80 + [1] * 15 + [2] * 5)
    cut_points = quantile_cut_points(reference, bins=10)
    assert list(cut_points) == sorted(set(cut_points))
    assert numeric_psi(reference, reference.sample(frac=1.0, random_state=0)) == pytest.approx(0)


@pytest.mark.parametrize("moved", [4.0, 6.0])
def test_constant_reference_detects_moves_in_both_directions(moved: float) -> None:
    reference = pd.Series([5.0] * 1_000)
    assert numeric_psi(reference, reference.copy()) == pytest.approx(0.0)
    assert numeric_psi(reference, pd.Series([moved] * 1_000)) > 1.0


def test_missing_values_count_as_their_own_bin() -> None:
    reference = pd.Series(np.arange(1_000, dtype=float))
    current = reference.copy()
    current[:500] = np.nan
    assert numeric_psi(reference, current) > 1.0


def test_nullable_integer_columns_are_supported() -> None:
    reference = pd.Series(list(range(10)) * 100, dtype="Int64")
    current = reference.copy()
    current[:500] = pd.NA
    assert numeric_psi(reference, reference.copy()) == pytest.approx(0.0)
    assert numeric_psi(reference, current) > 1.0


def test_categorical_shift_and_unseen_category_score_high() -> None:
    reference = pd.Series(["web", "store"] * 500)
    assert categorical_psi(reference, reference.copy()) == pytest.approx(0.0)
    assert categorical_psi(reference, pd.Series(["web"] * 900 + ["store"] * 100)) > 0.2
    unseen = pd.Series(["web", "store"] * 400 + ["kiosk"] * 200)
    assert categorical_psi(reference, unseen) > 0.2


def test_too_few_bins_are_rejected() -> None:
    with pytest.raises(ValueError, match="bins"):
        quantile_cut_points(pd.Series([1.0, 2.0]), bins=1)
