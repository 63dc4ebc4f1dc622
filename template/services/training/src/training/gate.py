"""The quality gate: the only rule that decides whether a new model may serve traffic."""

import math
from dataclasses import dataclass

CHAMPION_ALIAS = "champion"


@dataclass(frozen=True)
class Champion:
    version: str
    metric: float | None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def decide(
    *,
    metric: str,
    value: float,
    threshold: float,
    champion: Champion | None,
    max_regression: float,
) -> GateDecision:
    """Promote only above the absolute bar and not meaningfully worse than the current champion.

    The tolerance keeps retraining on fresh data from stalling on noise-level differences,
    while a real regression still blocks promotion.
    """
    if math.isnan(value):
        return GateDecision(False, f"{metric} is undefined on the test set")
    if value < threshold:
        return GateDecision(False, f"{metric} {value:.4f} is below the threshold {threshold:.4f}")
    if champion is None:
        return GateDecision(True, f"{metric} {value:.4f} >= {threshold:.4f}; no champion yet")
    if champion.metric is None or math.isnan(champion.metric):
        return GateDecision(
            True,
            f"{metric} {value:.4f} >= {threshold:.4f}; champion v{champion.version} "
            f"has no {metric} to compare with",
        )
    floor = champion.metric - max_regression
    if value < floor:
        return GateDecision(
            False,
            f"{metric} {value:.4f} is worse than champion v{champion.version} "
            f"({champion.metric:.4f}) by more than {max_regression:.4f}",
        )
    return GateDecision(
        True,
        f"{metric} {value:.4f} >= {threshold:.4f} and within {max_regression:.4f} "
        f"of champion v{champion.version} ({champion.metric:.4f})",
    )
