"""The statistics of an A/B test: tests, confidence intervals, SRM and sample sizes.

Differences are always treatment minus control. Intervals are two-sided at ``1 - alpha``.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class Comparison:
    """One metric of one treatment against control."""

    metric: str
    kind: str
    test: str
    control_n: int
    treatment_n: int
    control_mean: float
    treatment_mean: float
    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float

    @property
    def relative_lift(self) -> float | None:
        return None if self.control_mean == 0 else self.difference / self.control_mean


@dataclass(frozen=True)
class SampleRatioCheck:
    observed: dict[str, int]
    expected: dict[str, float]
    chi2: float
    p_value: float
    alpha: float

    @property
    def passed(self) -> bool:
        return self.p_value >= self.alpha


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


Samples = Sequence[float] | np.ndarray


def _samples(control: Samples, treatment: Samples, metric: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"{metric}: at least 2 customers per variant are needed")
    return a, b


def two_proportion_z_test(
    control: Samples, treatment: Samples, *, metric: str = "conversion", alpha: float = 0.05
) -> Comparison:
    """Pooled z-test of equal conversion rates; Wald interval (unpooled) on the difference."""
    a, b = _samples(control, treatment, metric)
    n1, n2 = len(a), len(b)
    p1, p2 = float(a.mean()), float(b.mean())
    pooled = (a.sum() + b.sum()) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    difference = p2 - p1
    if se_pooled == 0:
        statistic, p_value = 0.0, 1.0
    else:
        statistic = difference / se_pooled
        p_value = float(2 * stats.norm.sf(abs(statistic)))
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    margin = _z(alpha) * se
    return Comparison(
        metric, "conversion", "two-proportion z-test", n1, n2, p1, p2, difference,
        difference - margin, difference + margin, float(statistic), p_value,
    )  # fmt: skip


def welch_t_test(
    control: Samples, treatment: Samples, *, metric: str = "value", alpha: float = 0.05
) -> Comparison:
    """Welch's unequal-variance t-test; interval with the Welch-Satterthwaite degrees of freedom."""
    a, b = _samples(control, treatment, metric)
    n1, n2 = len(a), len(b)
    v1, v2 = float(a.var(ddof=1)) / n1, float(b.var(ddof=1)) / n2
    difference = float(b.mean() - a.mean())
    se = math.sqrt(v1 + v2)
    if se == 0:
        return Comparison(
            metric, "continuous", "Welch's t-test", n1, n2, float(a.mean()), float(b.mean()),
            difference, difference, difference, 0.0, 1.0,
        )  # fmt: skip
    dof = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    result = stats.ttest_ind(b, a, equal_var=False)
    margin = float(stats.t.ppf(1 - alpha / 2, dof)) * se
    return Comparison(
        metric, "continuous", "Welch's t-test", n1, n2, float(a.mean()), float(b.mean()),
        difference, difference - margin, difference + margin,
        float(result.statistic), float(result.pvalue),
    )  # fmt: skip


def sample_ratio_check(
    observed: Mapping[str, int], weights: Mapping[str, float], *, alpha: float = 0.001
) -> SampleRatioCheck:
    """Chi-square goodness of fit of the customers per variant against the designed weights."""
    names = list(weights)
    counts = np.array([observed.get(name, 0) for name in names], dtype=float)
    total = counts.sum()
    expected = np.array([weights[name] for name in names]) * total
    if total == 0:
        return SampleRatioCheck(dict.fromkeys(names, 0), dict.fromkeys(names, 0.0), 0.0, 1.0, alpha)
    chi2, p_value = stats.chisquare(counts, expected)
    return SampleRatioCheck(
        {name: int(count) for name, count in zip(names, counts, strict=True)},
        {name: float(value) for name, value in zip(names, expected, strict=True)},
        float(chi2),
        float(p_value),
        alpha,
    )


def _proportion_n(baseline: float, mde: float, alpha: float, power: float) -> float:
    treated = baseline + mde
    mean = (baseline + treated) / 2
    z_a, z_b = _z(alpha), float(stats.norm.ppf(power))
    spread = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(
        baseline * (1 - baseline) + treated * (1 - treated)
    )
    return spread**2 / mde**2


def proportion_sample_size(
    baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Customers per variant to detect ``baseline`` -> ``baseline + mde`` (absolute), two-sided.

    The normal-approximation formula without continuity correction (Fleiss; Chow, Shao & Wang,
    Sample Size Calculations in Clinical Research, 4.2):
    n = (z_a sqrt(2 p q) + z_b sqrt(p1 q1 + p2 q2))^2 / mde^2, with p the mean of both rates.
    """
    if not 0 < baseline < 1 or not 0 < baseline + mde < 1 or mde == 0:
        raise ValueError("baseline and baseline + mde must lie strictly between 0 and 1, mde != 0")
    _check_alpha_power(alpha, power)
    return math.ceil(_proportion_n(baseline, mde, alpha, power))


def mean_sample_size(sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers per variant to detect a difference ``mde`` of means (standard deviation sd)."""
    if sd <= 0 or mde == 0:
        raise ValueError("sd must be positive and mde non-zero")
    _check_alpha_power(alpha, power)
    z_a, z_b = _z(alpha), float(stats.norm.ppf(power))
    return math.ceil(2 * ((z_a + z_b) * sd / mde) ** 2)


def proportion_mde(
    baseline: float, per_variant: int, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute uplift over ``baseline`` that ``per_variant`` customers detect."""
    if not 0 < baseline < 1 or per_variant < 2:
        raise ValueError("baseline must lie strictly between 0 and 1 and per_variant be >= 2")
    _check_alpha_power(alpha, power)
    upper = 1 - baseline - 1e-9
    if _proportion_n(baseline, upper, alpha, power) > per_variant:
        raise ValueError(f"{per_variant} customers per variant cannot detect any uplift")
    root = optimize.brentq(
        lambda mde: _proportion_n(baseline, mde, alpha, power) - per_variant, 1e-9, upper
    )
    # A hair above the root, so that sizing for the returned effect needs at most per_variant.
    return float(root) * (1 + 1e-9)


def mean_mde(sd: float, per_variant: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest difference of means (standard deviation sd) ``per_variant`` customers detect."""
    if sd <= 0 or per_variant < 2:
        raise ValueError("sd must be positive and per_variant be >= 2")
    _check_alpha_power(alpha, power)
    z_a, z_b = _z(alpha), float(stats.norm.ppf(power))
    return (z_a + z_b) * sd * math.sqrt(2 / per_variant)


def _check_alpha_power(alpha: float, power: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
