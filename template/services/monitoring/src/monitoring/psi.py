"""Population stability index (PSI) of one feature between a reference and a current sample.

PSI = sum over bins of (current% - reference%) * ln(current% / reference%). Bins come from the
reference only, so the same current batch always scores the same against the same champion.
Rules of thumb: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant shift.
"""

import numpy as np
import pandas as pd

DEFAULT_BINS = 10
# Floor for empty bins: without it one empty bin makes ln(x / 0) infinite.
DEFAULT_EPSILON = 1e-4
MISSING_CATEGORY = "<missing>"


def psi_from_shares(reference: np.ndarray, current: np.ndarray, epsilon: float) -> float:
    """PSI of two share vectors over the same bins, each bin floored at ``epsilon``."""
    ref = np.clip(reference.astype(float), epsilon, None)
    cur = np.clip(current.astype(float), epsilon, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def quantile_cut_points(reference: pd.Series, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner bin edges at the reference's quantiles, duplicates dropped.

    Discrete or skewed columns repeat quantiles; dropping repeats merges those bins instead of
    creating empty ones. A constant reference gets edges just around its value, so a current
    batch that moves up *or* down from it still lands in a bin of its own.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    values = reference.dropna().to_numpy(dtype=float)
    if values.size == 0:
        return np.array([], dtype=float)
    if values.min() == values.max():
        only = float(values[0])
        return np.array([only, np.nextafter(only, np.inf)])
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, bins + 1))
    return np.unique(quantiles[1:-1])


def _numeric_shares(values: pd.Series, cut_points: np.ndarray) -> np.ndarray:
    """Share of ``values`` per bin; the last slot holds missing values."""
    data: np.ndarray = values.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(data)
    # side="right": bin i is [edge[i-1], edge[i]), open-ended at both extremes.
    index = np.searchsorted(cut_points, data[~missing], side="right")
    counts = np.bincount(index, minlength=cut_points.size + 1).astype(float)
    counts = np.append(counts, missing.sum())
    return counts / max(data.size, 1)


def numeric_psi(
    reference: pd.Series,
    current: pd.Series,
    bins: int = DEFAULT_BINS,
    epsilon: float = DEFAULT_EPSILON,
) -> float:
    """PSI of a numeric feature over quantile bins of the reference."""
    cut_points = quantile_cut_points(reference, bins)
    return psi_from_shares(
        _numeric_shares(reference, cut_points), _numeric_shares(current, cut_points), epsilon
    )


def _category_labels(values: pd.Series) -> pd.Series:
    return values.astype("object").where(values.notna(), MISSING_CATEGORY).astype(str)


def categorical_psi(
    reference: pd.Series, current: pd.Series, epsilon: float = DEFAULT_EPSILON
) -> float:
    """PSI of a categorical feature over the union of reference and current categories.

    Categories the reference never saw count as drift: their reference share is ``epsilon``.
    """
    ref = _category_labels(reference).value_counts(normalize=True)
    cur = _category_labels(current).value_counts(normalize=True)
    categories = sorted(set(ref.index) | set(cur.index))
    return psi_from_shares(
        ref.reindex(categories, fill_value=0.0).to_numpy(),
        cur.reindex(categories, fill_value=0.0).to_numpy(),
        epsilon,
    )
