"""The ONNX export serving runs: checked against the pipeline, or nothing is registered."""

import pytest

from training.errors import ExportError
from training.model import MODEL_KINDS, build_pipeline
from training.onnx_export import check_parity, onnx_churn_probability, to_onnx


@pytest.fixture(scope="module")
def split(good_features):
    from training.data import model_input

    rows = model_input(good_features)
    return rows.iloc[:600], good_features["churned"].iloc[:600], rows.iloc[600:]


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_model_kind_exports_within_tolerance(split, kind) -> None:
    x_train, y_train, holdout = split
    pipeline = build_pipeline(kind, seed=0).fit(x_train, y_train)
    assert check_parity(pipeline, to_onnx(pipeline), holdout) <= 1e-5


def test_an_export_that_answers_differently_is_refused(split) -> None:
    x_train, y_train, holdout = split
    pipeline = build_pipeline(MODEL_KINDS[0], seed=0).fit(x_train, y_train)
    # A faithful export of another model: it runs, but it is not this pipeline.
    other = build_pipeline(MODEL_KINDS[0], seed=0).fit(x_train, ~y_train.astype(bool))
    with pytest.raises(ExportError, match="differs from the pipeline"):
        check_parity(pipeline, to_onnx(other), holdout)
    with pytest.raises(ExportError, match="does not run"):
        check_parity(pipeline, b"not an onnx model", holdout)
    assert onnx_churn_probability(to_onnx(pipeline), holdout).shape == (len(holdout),)


def test_a_failed_parity_check_registers_nothing(
    tmp_path, monkeypatch: pytest.MonkeyPatch, good_features, write_features, new_registry
) -> None:
    from datetime import date

    from mlflow import MlflowClient

    from contracts import Settings
    from training.__main__ import main

    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.setenv("APP_MODEL_NAME", "churn-parity")
    monkeypatch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    new_registry(settings.data_dir)
    write_features(settings.features_dir, good_features, date(2024, 1, 2))

    def broken(pipeline, onnx_model, holdout, tolerance=1e-5):
        raise ExportError("the ONNX export differs from the pipeline by 1.00e-01")

    monkeypatch.setattr("training.onnx_export.check_parity", broken)
    assert main([]) != 0
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)
    assert client.search_model_versions("name = 'churn-parity'") == []
    [run] = client.search_runs([client.get_experiment_by_name("churn-parity").experiment_id], "")
    assert run.info.status == "FAILED"
