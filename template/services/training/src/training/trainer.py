"""One training run end to end: data -> fit -> evaluate -> log -> gate -> promote."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from contracts import LABEL_COLUMN, LineageRecord, Settings
from contracts.lake import MANIFEST_FILE
from contracts.lineage import code_version, write_lineage
from contracts.storage import sha256_file
from contracts.termination import deferred_termination
from training import promotion, tracking
from training.data import Dataset, load_verified_dataset, resolve_features_path, split_dataset
from training.gate import Evaluation, GateDecision, GatePolicy, decide
from training.model import (
    DEFAULT_MODEL_KIND,
    ModelKind,
    build_pipeline,
    classifier_params,
    evaluate,
)

INPUT_EXAMPLE_ROWS = 5
STEP = "training"


@dataclass(frozen=True)
class TrainingOptions:
    model_kind: ModelKind = DEFAULT_MODEL_KIND
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
    A SIGTERM/SIGINT before registration ends the MLflow run FAILED and registers nothing; one
    during registration, gate tagging and promotion is held until they are complete.
    """
    started_at = datetime.now(UTC)
    features_path = resolve_features_path(settings.features_dir, options.features_path)
    dataset = load_verified_dataset(features_path, settings.lake_dir)
    client = tracking.configure(settings)
    promotion.recover(client, settings)
    split = split_dataset(dataset, test_size=options.test_size, seed=settings.seed)
    features_sha256 = sha256_file(features_path)
    running_code = code_version(settings)
    policy = GatePolicy(
        metric=settings.quality_gate_metric,
        threshold=settings.quality_gate_threshold,
        max_regression=options.max_regression,
        min_class_count=settings.quality_gate_min_class_count,
        min_pr_auc_lift=settings.quality_gate_min_pr_auc_lift,
    )

    experiment_id = tracking.ensure_experiment(
        client, settings.model_name, settings.artifact_location
    )
    # Ends the run FAILED if anything below raises, a termination signal included.
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
        pipeline = build_pipeline(options.model_kind, settings.seed)
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
                "quality_gate_min_class_count": settings.quality_gate_min_class_count,
                "quality_gate_min_pr_auc_lift": settings.quality_gate_min_pr_auc_lift,
                "max_regression": options.max_regression,
                **classifier_params(pipeline),
            }
        )
        pipeline.fit(split.x_train, split.y_train)
        evaluation = Evaluation(
            metrics=evaluate(pipeline, split.x_test, split.y_test),
            positives=int(split.y_test.sum()),
            negatives=int((~split.y_test.astype(bool)).sum()),
        )
        mlflow.log_metrics(
            {
                **evaluation.metrics,
                "test_positives": evaluation.positives,
                "test_negatives": evaluation.negatives,
            }
        )
        # Read the champion before registering so the new version is never compared to itself.
        champion = tracking.current_champion(
            client, settings.model_name, settings.quality_gate_metric
        )
        decision = decide(evaluation, policy, champion)

        # From here on a termination signal waits: a version without its gate tag, or an alias
        # without its reference and lineage, must never be left behind.
        with deferred_termination():
            registered = tracking.log_and_register(
                model=pipeline,
                model_name=settings.model_name,
                input_example=split.x_train.head(INPUT_EXAMPLE_ROWS),
                holdout=split.x_test,
                model_kind=options.model_kind,
            )
            tracking.record_gate(
                client,
                registered,
                settings.model_name,
                passed=decision.promote,
                reason=decision.reason,
            )
            result = _finish(
                client,
                settings,
                options,
                dataset=dataset,
                registered=registered,
                evaluation=evaluation,
                decision=decision,
                lineage=_Lineage(started_at, features_path, features_sha256, running_code),
            )
            mlflow.end_run()
            return result


@dataclass(frozen=True)
class _Lineage:
    started_at: datetime
    features_path: Path
    features_sha256: str
    code_version: str


def _finish(
    client: MlflowClient,
    settings: Settings,
    options: TrainingOptions,
    *,
    dataset: Dataset,
    registered: tracking.RegisteredModel,
    evaluation: Evaluation,
    decision: GateDecision,
    lineage: _Lineage,
) -> TrainingResult:
    """Write the lineage record, and on promotion publish alias + reference + lineage at once."""
    # The registry URI of this exact version (not the alias, which moves on).
    outputs = [f"models:/{settings.model_name}/{registered.version}"]
    if decision.promote:
        outputs.append(str(settings.reference_path))
    inputs = [str(lineage.features_path)]
    if dataset.upstream is not None:
        inputs.append(str(lineage.features_path.parent / MANIFEST_FILE))
    record = LineageRecord(
        run_id=registered.run_id,
        step=STEP,
        started_at=lineage.started_at,
        finished_at=datetime.now(UTC),
        inputs=inputs,
        outputs=outputs,
        code_version=lineage.code_version,
        parameters={
            **evaluation.metrics,
            "test_positives": evaluation.positives,
            "test_negatives": evaluation.negatives,
            "model_kind": options.model_kind,
            "features_sha256": lineage.features_sha256,
            "features_manifest_sha256": (
                dataset.upstream.manifest_sha256 if dataset.upstream else "unverified"
            ),
            "quality_gate_metric": settings.quality_gate_metric,
            "quality_gate_threshold": settings.quality_gate_threshold,
            "max_regression": options.max_regression,
            "promoted": decision.promote,
            "quality_gate_reason": decision.reason,
        },
    )
    reference_path = None
    if decision.promote:
        reference_path = promotion.publish(
            client,
            settings,
            version=registered.version,
            frame=dataset.frame,
            metadata={
                "model_name": settings.model_name,
                "model_version": registered.version,
                "run_id": registered.run_id,
                "features_path": str(lineage.features_path.resolve()),
            },
            features=dataset.upstream,
            record=record,
        )
        lineage_path = settings.lineage_dir / f"{record.run_id}.json"
    else:
        lineage_path = write_lineage(record, settings.lineage_dir)
    return TrainingResult(
        model_name=settings.model_name,
        version=registered.version,
        run_id=registered.run_id,
        features_path=lineage.features_path,
        metrics=evaluation.metrics,
        decision=decision,
        reference_path=reference_path,
        lineage_path=lineage_path,
    )
