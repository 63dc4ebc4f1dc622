"""One training run end to end: data -> fit -> evaluate -> log -> gate -> promote."""

from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from contracts import Settings
from contracts.lineage import DatasetRef, LineageRun
from contracts.lineage import dataset as lineage_dataset
from contracts.lineage import partition as lineage_partition
from contracts.lineage import run as lineage_run
from contracts.storage import sha256_file
from contracts.termination import deferred_termination
from training import model_card, promotion, tracking
from training.data import Dataset, load_verified_dataset, resolve_features_path, split_dataset
from training.gate import (
    Evaluation,
    GateDecision,
    GatePolicy,
    decide,
    evaluation_of,
    label_params,
    policy_from,
)
from training.model import (
    DEFAULT_MODEL_KIND,
    ModelKind,
    build_pipeline,
    classifier_params,
)

INPUT_EXAMPLE_ROWS = 5
JOB = "training"


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
    # The OpenLineage run of this training (also the MLflow run's ``openlineage_run_id`` tag).
    lineage_run_id: str


def train(settings: Settings, options: TrainingOptions) -> TrainingResult:
    """Train and register a new version; move the champion alias only if the gate passes.

    Every run emits OpenLineage events: COMPLETE once registered (promoted or not), FAIL when
    it raises. A SIGTERM/SIGINT before registration ends the MLflow run FAILED and registers
    nothing; one during registration, gate tagging and promotion is held until they are complete.
    """
    features_path = resolve_features_path(settings.features_dir, options.features_path)
    with lineage_run(
        JOB,
        [lineage_dataset(features_path.parent)],
        settings=settings,
        parameters={"model_kind": options.model_kind},
    ) as run:
        return _train(settings, options, features_path, run)


def _train(
    settings: Settings, options: TrainingOptions, features_path: Path, run: LineageRun
) -> TrainingResult:
    dataset = load_verified_dataset(features_path, settings.lake_dir)
    # The partition folder when its manifest was verified, else the file given on its own.
    source = features_path.parent if dataset.upstream is not None else features_path
    columns = {str(name): str(kind) for name, kind in dataset.frame.dtypes.items()}
    run.inputs[:] = [lineage_dataset(source, columns=columns, rows=len(dataset.frame))]
    client = tracking.configure(settings)
    promotion.recover(client, settings)
    split = split_dataset(dataset, test_size=options.test_size, seed=settings.seed)
    features_sha256 = sha256_file(features_path)
    running_code = str(run.parameters["code_version"])
    policy = policy_from(settings, options.max_regression)

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
                "openlineage_run_id": run.run_id,
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
                **label_params(dataset.frame),
                **policy.params(),
                **classifier_params(pipeline),
            }
        )
        pipeline.fit(split.x_train, split.y_train)
        evaluation = evaluation_of(pipeline, split)
        mlflow.log_metrics({**evaluation.metrics, **evaluation.counts})
        # Read the champion before registering so the new version is never compared to itself.
        champion = tracking.current_champion(client, settings.model_name, policy.metric)
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
            facts = model_card.CardFacts(
                model_name=settings.model_name,
                version=registered.version,
                run_id=registered.run_id,
                model_kind=options.model_kind,
                code_version=running_code,
                features_path=str(features_path.resolve()),
                features_sha256=features_sha256,
                rows=len(dataset.frame),
                train_rows=len(split.x_train),
                test_rows=len(split.x_test),
                seed=settings.seed,
                metrics=evaluation.metrics,
                sections=evaluation.card_sections,
                policy=policy,
                decision=decision,
            )
            card = model_card.render(facts)
            tracking.log_model_card(client, registered, settings.model_name, card)
            result = _finish(
                client,
                settings,
                options,
                dataset=dataset,
                registered=registered,
                evaluation=evaluation,
                policy=policy,
                decision=decision,
                lineage=_Lineage(run, features_path, features_sha256),
            )
            mlflow.end_run()
            return result


@dataclass(frozen=True)
class _Lineage:
    run: LineageRun
    features_path: Path
    features_sha256: str


def _finish(
    client: MlflowClient,
    settings: Settings,
    options: TrainingOptions,
    *,
    dataset: Dataset,
    registered: tracking.RegisteredModel,
    evaluation: Evaluation,
    policy: GatePolicy,
    decision: GateDecision,
    lineage: _Lineage,
) -> TrainingResult:
    """Publish alias + reference on promotion, then emit the run's COMPLETE lineage event."""
    run = lineage.run
    # The registry URI of this exact version (not the alias, which moves on).
    run.outputs.append(
        DatasetRef(namespace="mlflow", name=f"models:/{settings.model_name}/{registered.version}")
    )
    run.parameters.update(
        {
            **evaluation.metrics,
            **evaluation.counts,
            "mlflow_run_id": registered.run_id,
            "features_sha256": lineage.features_sha256,
            "features_manifest_sha256": (
                dataset.upstream.manifest_sha256 if dataset.upstream else "unverified"
            ),
            **policy.params(),
            "promoted": decision.promote,
            "quality_gate_reason": decision.reason,
        }
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
            lineage_run_id=run.run_id,
        )
        run.outputs.append(lineage_partition(reference_path.parent))
    # Inside the deferred-termination block: a signal arriving now cannot turn it into FAIL.
    run.complete()
    return TrainingResult(
        model_name=settings.model_name,
        version=registered.version,
        run_id=registered.run_id,
        features_path=lineage.features_path,
        metrics=evaluation.metrics,
        decision=decision,
        reference_path=reference_path,
        lineage_run_id=run.run_id,
    )
