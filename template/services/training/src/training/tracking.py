"""MLflow plumbing: where runs go, how models are logged and how the champion alias moves."""

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.artifacts
import mlflow.sklearn
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

from contracts import Settings
from contracts.artifacts import ARTIFACT_DIGEST_TAG, artifact_digest
from training.gate import CHAMPION_ALIAS, Champion
from training.onnx_export import export_checked

# Packages the logged model needs at load time. Listing them ourselves skips MLflow's
# requirement inference, which re-imports the model in a subprocess and may call `uv export`.
MODEL_REQUIREMENTS = ("scikit-learn", "skops", "pandas", "numpy")


@dataclass(frozen=True)
class RegisteredModel:
    run_id: str
    version: str


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow at the project's store (SQLite under data/ unless configured)."""
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


def ensure_experiment(client: MlflowClient, name: str, artifact_location: str | None) -> str:
    """Experiment id for ``name``, created with artifacts under data/ (never ./mlruns) or, with
    a tracking server (``artifact_location`` None), in the server's artifact store."""
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return client.create_experiment(name, artifact_location=artifact_location)
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return str(experiment.experiment_id)


def pinned_requirements() -> list[str]:
    pins = []
    for package in MODEL_REQUIREMENTS:
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            pins.append(package)
    return pins


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Mute one MLflow logger for a call whose warnings do not apply to a uv environment."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def log_and_register(
    *,
    model: Any,
    model_name: str,
    input_example: pd.DataFrame,
    holdout: pd.DataFrame,
    trusted_types: list[str],
) -> RegisteredModel:
    """Log the fitted pipeline in the active run and register it as a new model version.

    The version holds the pipeline as skops (for MLflow's own tools) and its ONNX export
    (``contracts.artifacts.ONNX_MODEL_FILE``, what serving runs); an export whose
    probabilities on ``holdout`` differ from the pipeline's raises ``ExportError`` before
    anything is registered.
    """
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("log_and_register needs an active MLflow run")
    with tempfile.TemporaryDirectory(prefix="model-onnx-") as scratch:
        onnx_file = export_checked(model, holdout, Path(scratch))
        # conda.yaml wants a pip version; uv environments have no pip, which is expected.
        with _quiet("mlflow.utils.environment"):
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                registered_model_name=model_name,
                input_example=input_example,
                pip_requirements=pinned_requirements(),
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
                skops_trusted_types=trusted_types or None,
                extra_files=[str(onnx_file)],
            )
    if info.registered_model_version is None:
        raise RuntimeError(f"MLflow did not register a version of {model_name}")
    registered = RegisteredModel(run_id=run.info.run_id, version=str(info.registered_model_version))
    record_artifact_digest(model_name, registered.version)
    return registered


def record_artifact_digest(model_name: str, model_version: str) -> str:
    """Tag the version with the sha256 of the files just logged; serving refuses any other.

    Read back through the version's download URI, the same way serving fetches them.
    """
    client = MlflowClient()
    source = client.get_model_version_download_uri(model_name, model_version)
    with tempfile.TemporaryDirectory(prefix="model-digest-") as scratch:
        local = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=scratch)
        digest = artifact_digest(Path(local))
    client.set_model_version_tag(model_name, model_version, ARTIFACT_DIGEST_TAG, digest)
    return digest


def current_champion(client: MlflowClient, model_name: str, metric: str) -> Champion | None:
    """The version behind the champion alias and its gate metric, or None before the first one."""
    try:
        registered = client.get_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    # Read the alias map instead of get_model_version_by_alias: a missing alias on an existing
    # model is reported as INVALID_PARAMETER_VALUE, indistinguishable from real errors.
    version = registered.aliases.get(CHAMPION_ALIAS)
    if version is None:
        return None
    champion = client.get_model_version(model_name, str(version))
    value = None
    if champion.run_id:
        value = client.get_run(champion.run_id).data.metrics.get(metric)
    return Champion(version=str(champion.version), metric=value)


def record_gate(
    client: MlflowClient, registered: RegisteredModel, model_name: str, *, passed: bool, reason: str
) -> None:
    """Tag the version (and its run) so the registry explains every promotion decision."""
    status = "passed" if passed else "failed"
    for key, value in (("quality_gate", status), ("quality_gate_reason", reason)):
        client.set_model_version_tag(model_name, registered.version, key, value)
        client.set_tag(registered.run_id, key, value)


def promote(client: MlflowClient, model_name: str, version: str) -> None:
    client.set_registered_model_alias(model_name, CHAMPION_ALIAS, version)


def champion_version(client: MlflowClient, model_name: str) -> str | None:
    """The version the champion alias points at, or None."""
    try:
        registered = client.get_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    version = registered.aliases.get(CHAMPION_ALIAS)
    return None if version is None else str(version)


def fail_undecided_versions(client: MlflowClient, model_name: str, reason: str) -> list[str]:
    """Tag every version without a gate decision (its run was killed between registering and
    tagging) as failed, and end its run FAILED if it was left RUNNING; return their numbers.
    """
    undecided = [
        model_version
        for model_version in client.search_model_versions(f"name = '{model_name}'")
        if "quality_gate" not in model_version.tags
    ]
    for model_version in undecided:
        for key, value in (("quality_gate", "failed"), ("quality_gate_reason", reason)):
            client.set_model_version_tag(model_name, str(model_version.version), key, value)
        run_id = model_version.run_id
        if run_id and client.get_run(run_id).info.status == "RUNNING":
            client.set_terminated(run_id, status="FAILED")
    return [str(model_version.version) for model_version in undecided]
