"""From the exposure and outcome events of an experiment to its comparisons and verdict.

The unit of analysis is the customer: exposures are reduced to one variant per customer (the
first one logged), outcomes to one value per customer and metric (a conversion is 1 if any
event says so, a continuous metric is summed), and exposed customers without an outcome count
as 0. A customer logged in more than one variant cannot happen while the salt is unchanged; such
customers are left out and counted, because they mean the definition changed mid-experiment.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import pandas as pd

from contracts.cli import DataError
from contracts.experiments import ExperimentDefinition
from experiments.stats import (
    Comparison,
    SampleRatioCheck,
    sample_ratio_check,
    two_proportion_z_test,
    welch_t_test,
)

Verdict = Literal["treatment_better", "treatment_worse", "inconclusive", "invalid"]


@dataclass(frozen=True)
class Analysis:
    experiment: str
    version: int
    control: str
    alpha: float
    customers: int
    mixed_customers: int
    srm: SampleRatioCheck
    comparisons: dict[str, list[Comparison]]  # treatment variant -> one per metric
    verdicts: dict[str, Verdict]  # treatment variant -> verdict on the primary metric
    primary_metric: str
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def verdict(self) -> Verdict:
        """One word for the whole experiment: invalid, or the best a treatment achieved."""
        order: tuple[Verdict, ...] = ("invalid", "treatment_better", "treatment_worse")
        for candidate in order:
            if candidate in self.verdicts.values():
                return candidate
        return "inconclusive"


def customer_table(
    definition: ExperimentDefinition, exposures: pd.DataFrame, outcomes: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """One row per exposed customer: variant plus one column per metric; and the mixed count."""
    exposures = exposures[exposures["experiment"] == definition.name]
    unknown = sorted(set(exposures["variant"]) - set(definition.variant_names))
    if unknown:
        raise DataError(f"exposures name variants the definition does not have: {unknown}")
    ordered = exposures.sort_values(["timestamp", "event_id"])
    variants_seen = ordered.groupby("customer_id")["variant"].nunique()
    mixed = set(variants_seen[variants_seen > 1].index)
    first = ordered.drop_duplicates("customer_id", keep="first")
    table = first.loc[~first["customer_id"].isin(mixed), ["customer_id", "variant"]]
    table = table.set_index("customer_id")
    outcomes = outcomes[outcomes["experiment"] == definition.name]
    values = outcomes["value"].astype(float)
    if not np.isfinite(values).all():
        raise DataError("outcomes hold non-finite values")
    for metric in definition.metrics:
        rows = outcomes[outcomes["metric"] == metric.name]
        if metric.kind == "conversion":
            if not rows["value"].isin([0, 1]).all():
                raise DataError(f"conversion metric {metric.name} has values other than 0 and 1")
            per_customer = rows.groupby("customer_id")["value"].max()
        else:
            per_customer = rows.groupby("customer_id")["value"].sum()
        table[metric.name] = per_customer.reindex(table.index).fillna(0.0).astype(float)
    return table, len(mixed)


def _verdict(primary: Comparison, alpha: float) -> Verdict:
    if primary.p_value >= alpha:
        return "inconclusive"
    return "treatment_better" if primary.difference > 0 else "treatment_worse"


def analyse(
    definition: ExperimentDefinition, exposures: pd.DataFrame, outcomes: pd.DataFrame
) -> Analysis:
    """Every treatment against control on every metric, the SRM check and the verdicts."""
    table, mixed = customer_table(definition, exposures, outcomes)
    if table.empty:
        raise DataError(f"no exposures logged for experiment {definition.name}")
    counts = table["variant"].value_counts().to_dict()
    srm = sample_ratio_check(counts, definition.weights, alpha=definition.srm_alpha)
    control = table[table["variant"] == definition.control]
    comparisons: dict[str, list[Comparison]] = {}
    verdicts: dict[str, Verdict] = {}
    for name in definition.variant_names:
        if name == definition.control:
            continue
        treated = table[table["variant"] == name]
        if len(control) < 2 or len(treated) < 2:
            raise DataError(f"too few customers to compare {name} with {definition.control}")
        results = []
        for metric in definition.metrics:
            test = two_proportion_z_test if metric.kind == "conversion" else welch_t_test
            results.append(
                test(
                    control[metric.name].to_numpy(),
                    treated[metric.name].to_numpy(),
                    metric=metric.name,
                    alpha=definition.alpha,
                )
            )
        comparisons[name] = results
        # A failed SRM check invalidates every p-value: the groups are not what was designed.
        verdicts[name] = "invalid" if not srm.passed else _verdict(results[0], definition.alpha)
    return Analysis(
        experiment=definition.name,
        version=definition.version,
        control=definition.control,
        alpha=definition.alpha,
        customers=len(table),
        mixed_customers=mixed,
        srm=srm,
        comparisons=comparisons,
        verdicts=verdicts,
        primary_metric=definition.metrics[0].name,
    )
