"""The experiments zone under data governance: exposures and outcomes keep customer ids (outcomes
arrive by id, serving assigns by id), so forget-customer erases them and retention deletes old
batches; the analysis reports its lineage through OpenLineage."""

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, governance, lineage
from contracts.experiment_log import append_events, read_events
from contracts.experiments import load_definition
from contracts.lake import verify_partition
from experiments.__main__ import main
from experiments.simulate import SOURCE, Scenario, simulate

TARGET = "sim-3-199"  # the last of 200 simulated customers: no other id starts with it


def _ids(root: Path) -> set[str]:
    """Every customer id in any data file of the zone (not only the ones readers return)."""
    return {
        str(value)
        for path in root.rglob("*.parquet")
        for value in pd.read_parquet(path, columns=["customer_id"])["customer_id"]
    }


def test_forget_customer_erases_exposures_and_outcomes_and_the_analysis_still_runs(
    settings: Settings,
) -> None:
    assert main(["simulate", "--customers", "200", "--seed", "3"]) == 0
    zone = settings.experiments_dir
    exposures = read_events(zone, "exposures", "churn-model")
    outcomes = read_events(zone, "outcomes", "churn-model")
    assert TARGET in _ids(zone)

    report = governance.forget_customer(settings, TARGET, requested_by="ticket-7")

    assert TARGET not in _ids(zone)
    assert not any(TARGET.encode() in path.read_bytes() for path in zone.rglob("*.json"))
    after_exposures = read_events(zone, "exposures", "churn-model")
    after_outcomes = read_events(zone, "outcomes", "churn-model")
    assert len(after_exposures) == len(exposures) - 1
    assert len(after_outcomes) == len(outcomes) - 2, "one outcome per metric"
    removed = {name.split("/")[1]: rows for name, rows in report.removed.items()}
    assert removed == {"exposures": 1, "outcomes": 2}
    # Rewritten batches verify against their new manifests: the analysis reads them.
    for batch in zone.glob("*/churn-model/*/batch-*"):
        verify_partition(batch)
    assert main(["analyse"]) == 0


def test_retention_deletes_event_partitions_past_the_experiments_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_RETENTION_DAYS_EXPERIMENTS", "30")
    settings = Settings()
    definition = load_definition(settings.experiments_definitions_dir / "churn-model.yaml")
    for seed, day in ((1, datetime(2024, 1, 1, tzinfo=UTC)), (2, datetime(2024, 6, 1, tzinfo=UTC))):
        exposures, outcomes = simulate(definition, Scenario(customers=20, seed=seed, start=day))
        append_events(settings.experiments_dir, "exposures", exposures, source=SOURCE, day=day)
        append_events(settings.experiments_dir, "outcomes", outcomes, source=SOURCE, day=day)

    deleted = governance.apply_retention(settings, date(2024, 6, 15))

    assert sorted(path.parent.parent.name for path in deleted) == ["exposures", "outcomes"]
    assert {path.name for path in deleted} == {"ingestion_date=2024-01-01"}
    kept = read_events(settings.experiments_dir, "exposures", "churn-model")
    assert len(kept) == 20
    assert set(kept["customer_id"]) == {f"sim-2-{index}" for index in range(20)}


def test_analyse_reports_its_inputs_and_outputs_as_openlineage_events(
    settings: Settings,
) -> None:
    assert main(["simulate", "--customers", "500", "--seed", "4"]) == 0
    assert main(["analyse"]) == 0

    [[start, complete]] = lineage.job_runs(settings.lineage_dir, "experiments-analyse")
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert [item["name"] for item in complete["inputs"]] == [
        "experiments/exposures/churn-model",
        "experiments/outcomes/churn-model",
    ]
    outputs = {Path(item["name"]).name for item in complete["outputs"]}
    assert outputs == {"report.json", "report.md"}
    parameters = {
        item["key"]: item["value"]
        for item in complete["run"]["facets"]["executionParameters"]["parameters"]
    }
    assert parameters["experiment"] == "churn-model"
    assert parameters["verdict"] in {"treatment_better", "treatment_worse", "inconclusive"}
