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


@dataclass(frozen=True)
class GatePolicy:
    """What a model must show on the evaluation split (``APP_QUALITY_GATE_*``)."""

    metric: str
    threshold: float
    max_regression: float
    min_class_count: int
    min_pr_auc_lift: float


@dataclass(frozen=True)
class Evaluation:
    """The held-out split's class counts and the model's metrics on it."""

    metrics: dict[str, float]
    positives: int
    negatives: int

    @property
    def prevalence(self) -> float:
        total = self.positives + self.negatives
        return self.positives / total if total else math.nan


def pr_auc_floor(prevalence: float, lift: float) -> float:
    """The PR AUC a model must reach: ``lift`` times what random ranking scores (the positive
    rate), capped halfway between the positive rate and 1 so a common class stays reachable.
    """
    return min(prevalence * lift, (1.0 + prevalence) / 2.0)


def decide(evaluation: Evaluation, policy: GatePolicy, champion: Champion | None) -> GateDecision:
    """Promote only when the evaluation split can judge the model, the model beats the absolute
    bar on the gate metric and on PR AUC over the positive rate, and it is not meaningfully
    worse than the current champion.

    The tolerance keeps retraining on fresh data from stalling on noise-level differences,
    while a real regression still blocks promotion.
    """
    metric = policy.metric
    smallest = min(evaluation.positives, evaluation.negatives)
    if smallest < policy.min_class_count:
        return GateDecision(
            False,
            f"evaluation split has {evaluation.positives} positive and {evaluation.negatives} "
            f"negative rows; at least {policy.min_class_count} of each are needed for "
            "meaningful metrics",
        )
    value = evaluation.metrics[metric]
    if math.isnan(value):
        return GateDecision(False, f"{metric} is undefined on the test set")
    if value < policy.threshold:
        return GateDecision(
            False, f"{metric} {value:.4f} is below the threshold {policy.threshold:.4f}"
        )
    passed = f"{metric} {value:.4f} >= {policy.threshold:.4f}"
    if policy.min_pr_auc_lift > 0:
        pr_auc = evaluation.metrics["average_precision"]
        floor = pr_auc_floor(evaluation.prevalence, policy.min_pr_auc_lift)
        # Written as "not >=" so an undefined (NaN) PR AUC fails too.
        if not pr_auc >= floor:
            return GateDecision(
                False,
                f"PR AUC {pr_auc:.4f} is below {floor:.4f} ({policy.min_pr_auc_lift:g} x the "
                f"positive rate {evaluation.prevalence:.4f})",
            )
        passed += f", PR AUC {pr_auc:.4f} >= {floor:.4f}"
    if champion is None:
        return GateDecision(
            True, f"{metric} {value:.4f} >= {policy.threshold:.4f}; no champion yet"
        )
    if champion.metric is None or math.isnan(champion.metric):
        return GateDecision(
            True,
            f"{passed}; champion v{champion.version} has no {metric} to compare with",
        )
    floor = champion.metric - policy.max_regression
    if value < floor:
        return GateDecision(
            False,
            f"{metric} {value:.4f} is worse than champion v{champion.version} "
            f"({champion.metric:.4f}) by more than {policy.max_regression:.4f}",
        )
    return GateDecision(
        True,
        f"{passed}; within {policy.max_regression:.4f} of champion v{champion.version} "
        f"({champion.metric:.4f})",
    )
