"""End to end through MLflow (SQLite registry): three CLI runs sharing one registry.

1. shuffled labels, no champion yet: registered as v1, not promoted, no drift reference;
2. real signal: v2 passes the gate and becomes the champion, the reference is written;
3. shuffled labels again: v3 is registered but the champion and the reference stay on v2.

MLflow round trips are slow, so every test reads the same three runs.
"""

import contextlib
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from contracts import LineageRecord, Settings, partition_dir
from training.model import DEFAULT_MODEL_KIND
from training.tracking import load_registered

MODEL_NAME = "churn-test"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    reference_sha256: str | None


@dataclass
class Scenario:
    settings: Settings
    first: Run
    good: Run
    noisy: Run
    degenerate: Run


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, good_features, noisy_features, write_features) -> Scenario:
    from training.__main__ import main

    data_dir = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("APP_DATA_DIR", str(data_dir))
        patch.setenv("APP_ENVIRONMENT", "test")
        patch.setenv("APP_MODEL_NAME", MODEL_NAME)
        patch.setenv("APP_CODE_VERSION", "test-sha")
        patch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
        patch.chdir(data_dir)  # anything written relative to the cwd would show up here
        settings = Settings()

        def run() -> Run:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main([])
            return Run(code, out.getvalue(), err.getvalue(), _sha256(settings.reference_path))

        write_features(settings.features_dir, noisy_features, date(2024, 1, 1))
        first = run()
        write_features(settings.features_dir, good_features, date(2024, 1, 2))
        good = run()
        write_features(settings.features_dir, noisy_features, date(2024, 1, 3))
        noisy = run()
        # Five churners in 800 rows: the stratified test split holds exactly one.
        positives = good_features.index[good_features["churned"]][:5]
        rare = good_features.assign(churned=good_features.index.isin(positives))
        write_features(settings.features_dir, rare, date(2024, 1, 4))
        degenerate = run()
    return Scenario(settings=settings, first=first, good=good, noisy=noisy, degenerate=degenerate)


@pytest.fixture(scope="module")
def client(scenario: Scenario):
    from mlflow import MlflowClient

    uri = scenario.settings.tracking_uri
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_first_model_failing_the_gate_is_not_promoted(scenario: Scenario, client) -> None:
    assert scenario.first.exit_code == 1
    assert "quality gate FAILED" in scenario.first.stdout
    assert "failed the quality gate" in scenario.first.stderr
    first = client.get_model_version(MODEL_NAME, "1")
    assert first.tags["quality_gate"] == "failed"
    assert "below the threshold" in first.tags["quality_gate_reason"]
    assert not first.aliases


def test_good_model_passes_the_gate_and_becomes_champion(scenario: Scenario, client) -> None:
    assert scenario.good.exit_code == 0, scenario.good.stderr
    assert "quality gate PASSED" in scenario.good.stdout
    champion = client.get_model_version_by_alias(MODEL_NAME, "champion")
    assert str(champion.version) == "2"
    assert champion.tags["quality_gate"] == "passed"


def test_worse_model_does_not_replace_the_champion(scenario: Scenario, client) -> None:
    assert scenario.noisy.exit_code == 1
    third = client.get_model_version(MODEL_NAME, "3")
    assert third.tags["quality_gate"] == "failed"
    assert not third.aliases
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "2"


def test_one_positive_in_the_test_split_is_not_promoted(scenario: Scenario, client) -> None:
    assert scenario.degenerate.exit_code == 1
    assert "failed the quality gate" in scenario.degenerate.stderr
    fourth = client.get_model_version(MODEL_NAME, "4")
    assert fourth.tags["quality_gate"] == "failed"
    assert fourth.tags["quality_gate_reason"].startswith(
        "evaluation split has 1 positive and 159 negative rows; at least 20 of each"
    )
    assert client.get_run(fourth.run_id).data.metrics["test_positives"] == 1
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "2"
    assert scenario.degenerate.reference_sha256 == scenario.good.reference_sha256


def test_reference_is_written_only_on_promotion(scenario: Scenario, good_features) -> None:
    assert scenario.first.reference_sha256 is None
    assert scenario.good.reference_sha256 is not None
    assert scenario.noisy.reference_sha256 == scenario.good.reference_sha256

    path = scenario.settings.reference_path
    reference = pd.read_parquet(path)
    assert reference["churned"].tolist() == good_features["churned"].tolist()
    assert pq.read_schema(path).metadata[b"reference.model_version"] == b"2"


def test_run_records_metrics_params_and_lineage_tags(scenario: Scenario, client) -> None:
    run = client.get_run(client.get_model_version(MODEL_NAME, "2").run_id)
    metrics = run.data.metrics
    scores = {"roc_auc", "average_precision", "f1", "accuracy"}
    assert set(metrics) >= scores | {"test_positives", "test_negatives"}
    assert all(0 <= metrics[name] <= 1 for name in scores)
    assert metrics["test_positives"] + metrics["test_negatives"] == 160
    assert metrics["roc_auc"] >= scenario.settings.quality_gate_threshold
    assert run.data.params["model_kind"] == DEFAULT_MODEL_KIND
    assert run.data.tags["code_version"] == "test-sha"
    assert run.data.tags["dataset_rows"] == "800"
    assert run.data.tags["features_path"].endswith("ingestion_date=2024-01-02/features.parquet")


def test_every_run_leaves_a_lineage_record(scenario: Scenario, client) -> None:
    settings = scenario.settings
    records = {
        record.outputs[0]: record
        for record in (
            LineageRecord.model_validate_json(path.read_text())
            for path in settings.lineage_dir.glob("*.json")
        )
    }
    assert sorted(records) == [f"models:/{MODEL_NAME}/{version}" for version in "1234"]

    good = records[f"models:/{MODEL_NAME}/2"]
    assert good.step == "training"
    assert good.run_id == client.get_model_version(MODEL_NAME, "2").run_id
    assert (settings.lineage_dir / f"{good.run_id}.json").is_file()
    assert good.code_version == "test-sha"
    partition = partition_dir(settings.features_dir, date(2024, 1, 2))
    assert good.inputs == [str(partition / "features.parquet"), str(partition / "_manifest.json")]
    assert len(str(good.parameters["features_manifest_sha256"])) == 64
    assert good.outputs == [f"models:/{MODEL_NAME}/2", str(settings.reference_path)]
    assert good.parameters["promoted"] is True
    assert good.parameters["roc_auc"] == pytest.approx(
        client.get_run(good.run_id).data.metrics["roc_auc"]
    )
    assert "quality_gate_reason" in good.parameters
    assert f"lineage:  {settings.lineage_dir / f'{good.run_id}.json'}" in scenario.good.stdout

    rejected = records[f"models:/{MODEL_NAME}/3"]
    assert rejected.outputs == [f"models:/{MODEL_NAME}/3"]
    assert rejected.parameters["promoted"] is False
    assert "below the threshold" in str(rejected.parameters["quality_gate_reason"])


def test_artifacts_stay_under_the_data_dir(scenario: Scenario) -> None:
    data_dir = scenario.settings.data_dir
    assert not (data_dir / "mlruns").exists()
    assert any((data_dir / "mlflow" / "artifacts").rglob("MLmodel"))


def test_champion_loads_from_the_registry_and_predicts_probabilities(
    scenario: Scenario, good_features
) -> None:
    import mlflow

    from training.data import model_input

    mlflow.set_registry_uri(scenario.settings.tracking_uri)
    model = load_registered(f"models:/{MODEL_NAME}@champion")
    probabilities = model.predict_proba(model_input(good_features.head(20)))
    assert probabilities.shape == (20, 2)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_every_version_records_the_digest_of_its_files(scenario: Scenario, client) -> None:
    """Serving only loads files matching this digest (a tampered artifact is refused)."""
    from urllib.parse import unquote, urlparse

    from contracts.artifacts import ARTIFACT_DIGEST_TAG, artifact_digest

    for version in ("1", "2", "3"):
        recorded = client.get_model_version(MODEL_NAME, version).tags[ARTIFACT_DIGEST_TAG]
        source = client.get_model_version_download_uri(MODEL_NAME, version)
        assert recorded == artifact_digest(Path(unquote(urlparse(source).path)))


def test_every_version_holds_an_onnx_export_that_answers_like_the_pipeline(
    scenario: Scenario, client, good_features
) -> None:
    """What serving runs: the ONNX file, covered by the digest, equal to the pipeline."""
    from urllib.parse import unquote, urlparse

    import mlflow

    from contracts.artifacts import ARTIFACT_DIGEST_TAG, ONNX_MODEL_FILE, artifact_digest
    from training.data import model_input
    from training.model import churn_probability
    from training.onnx_export import PARITY_TOLERANCE, onnx_churn_probability

    mlflow.set_registry_uri(scenario.settings.tracking_uri)
    rows = model_input(good_features.head(200))
    for version in ("1", "2", "3"):
        directory = Path(
            unquote(urlparse(client.get_model_version_download_uri(MODEL_NAME, version)).path)
        )
        onnx_file = directory / ONNX_MODEL_FILE
        pipeline = load_registered(f"models:/{MODEL_NAME}/{version}")
        difference = abs(
            onnx_churn_probability(onnx_file.read_bytes(), rows) - churn_probability(pipeline, rows)
        ).max()
        assert difference <= PARITY_TOLERANCE
        # The digest covers it: a different ONNX file gives a different digest.
        recorded = client.get_model_version(MODEL_NAME, version).tags[ARTIFACT_DIGEST_TAG]
        original = onnx_file.read_bytes()
        try:
            onnx_file.write_bytes(original + b"\0")
            assert artifact_digest(directory) != recorded
        finally:
            onnx_file.write_bytes(original)
