"""One training run end to end: data -> fit -> evaluate -> log -> gate -> promote."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow

from contracts import LABEL_COLUMN, LineageRecord, Settings
from contracts.lineage import code_version, write_lineage
from contracts.storage import sha256_file
from training import tracking
from training.data import load_dataset, resolve_features_path, split_dataset
from training.gate import GateDecision, decide
from training.model import (
    SKOPS_TRUSTED_TYPES,
    ModelKind,
    build_pipeline,
    classifier_params,
    evaluate,
)
from training.reference import write_reference

INPUT_EXAMPLE_ROWS = 5
STEP = "training"


@dataclass(frozen=True)
class TrainingOptions:
    model_kind: ModelKind = "logistic_regression"
    features_path: Path | None = None
    test_size: float = 0.2
    # How much worse than the champion a new model may be and still be promoted.
    max_regression: float = 0.01


@dataclass(frozen=True)
class TrainingResult:
    model_name: str
    version: str
    run_id: str
    features_path: Path
    metrics: dict[str, float]
    decision: GateDecision
    reference_path: Path | None
    lineage_path: Path


def train(settings: Settings, options: TrainingOptions) -> TrainingResult:
    """Train and register a new version; move the champion alias only if the gate passes.

    Every completed run, promoted or not, leaves a lineage record named after its MLflow run.
    """
    started_at = datetime.now(UTC)
    features_path = resolve_features_path(settings.features_dir, options.features_path)
    dataset = load_dataset(features_path)
    split = split_dataset(dataset, test_size=options.test_size, seed=settings.seed)

    pipeline = build_pipeline(options.model_kind, settings.seed)
    pipeline.fit(split.x_train, split.y_train)
    metrics = evaluate(pipeline, split.x_test, split.y_test)

    features_sha256 = sha256_file(features_path)
    running_code = code_version(settings)

    client = tracking.configure(settings)
    experiment_id = tracking.ensure_experiment(
        client, settings.model_name, settings.artifact_location
    )
    with mlflow.start_run(experiment_id=experiment_id):
        mlflow.set_tags(
            {
                "features_path": str(features_path.resolve()),
                "features_sha256": features_sha256,
                "code_version": running_code,
                "dataset_rows": str(len(dataset.frame)),
                "model_kind": options.model_kind,
            }
        )
        mlflow.log_params(
            {
                "model_kind": options.model_kind,
                "seed": settings.seed,
                "test_size": options.test_size,
                "train_rows": len(split.x_train),
                "test_rows": len(split.x_test),
                "positive_rate": round(float(dataset.frame[LABEL_COLUMN].mean()), 4),
                "quality_gate_metric": settings.quality_gate_metric,
                "quality_gate_threshold": settings.quality_gate_threshold,
                "max_regression": options.max_regression,
                **classifier_params(pipeline),
            }
        )
        mlflow.log_metrics(metrics)
        # Read the champion before registering so the new version is never compared to itself.
        champion = tracking.current_champion(
            client, settings.model_name, settings.quality_gate_metric
        )
        registered = tracking.log_and_register(
            model=pipeline,
            model_name=settings.model_name,
            input_example=split.x_train.head(INPUT_EXAMPLE_ROWS),
            trusted_types=SKOPS_TRUSTED_TYPES[options.model_kind],
        )

    decision = decide(
        metric=settings.quality_gate_metric,
        value=metrics[settings.quality_gate_metric],
        threshold=settings.quality_gate_threshold,
        champion=champion,
        max_regression=options.max_regression,
    )
    tracking.record_gate(
        client,
        registered,
        settings.model_name,
        passed=decision.promote,
        reason=decision.reason,
    )

    reference_path = None
    if decision.promote:
        # Reference first: if writing it fails, the old champion and its reference stay paired.
        write_reference(
            dataset.frame,
            settings.reference_path,
            {
                "model_name": settings.model_name,
                "model_version": registered.version,
                "run_id": registered.run_id,
                "features_path": str(features_path.resolve()),
            },
        )
        tracking.promote(client, settings.model_name, registered.version)
        reference_path = settings.reference_path

    # The registry URI of this exact version (not the alias, which moves on).
    outputs = [f"models:/{settings.model_name}/{registered.version}"]
    if reference_path is not None:
        outputs.append(str(reference_path))
    record = LineageRecord(
        run_id=registered.run_id,
        step=STEP,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        inputs=[str(features_path)],
        outputs=outputs,
        code_version=running_code,
        parameters={
            **metrics,
            "model_kind": options.model_kind,
            "features_sha256": features_sha256,
            "quality_gate_metric": settings.quality_gate_metric,
            "quality_gate_threshold": settings.quality_gate_threshold,
            "max_regression": options.max_regression,
            "promoted": decision.promote,
            "quality_gate_reason": decision.reason,
        },
    )
    return TrainingResult(
        model_name=settings.model_name,
        version=registered.version,
        run_id=registered.run_id,
        features_path=features_path,
        metrics=metrics,
        decision=decision,
        reference_path=reference_path,
        lineage_path=write_lineage(record, settings.lineage_dir),
    )
