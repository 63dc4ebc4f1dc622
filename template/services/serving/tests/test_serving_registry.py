"""Startup against a real SQLite MLflow registry: the champion alias decides what is served."""

import pytest
from fastapi.testclient import TestClient

from contracts import Settings
from serving.app import create_app

API_KEY = "test-key-0123456789"  # pragma: allowlist secret


@pytest.fixture
def registry_settings(tmp_path) -> Settings:
    (tmp_path / "mlflow").mkdir()
    return Settings(
        data_dir=tmp_path,
        environment="test",
        api_key=API_KEY,
        mlflow_tracking_uri=None,
        model_name="churn-registry-test",
    )


def test_lifespan_serves_the_champion_from_the_registry(
    registry_settings: Settings, sk_model, instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(registry_settings.data_dir)
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    uri = registry_settings.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment(
        "serving-test", artifact_location=registry_settings.artifact_location
    )
    name = registry_settings.model_name
    with mlflow.start_run(experiment_id=experiment):
        for _ in range(2):
            mlflow.sklearn.log_model(
                sk_model, name="model", registered_model_name=name, pip_requirements=[]
            )

    # Registered but never promoted: nothing to serve.
    with TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503

    client.set_registered_model_alias(name, "champion", "1")
    with TestClient(create_app(registry_settings)) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["model_version"] == "1"  # the alias, not the latest version
        response = api.post(
            "/v1/predict", json={"instances": [instance()]}, headers={"X-API-Key": API_KEY}
        )
        assert response.status_code == 200, response.text
        assert response.json()["model_version"] == "1"
        assert 0 <= response.json()["predictions"][0]["churn_probability"] <= 1
        assert f'model_info{{name="{name}",version="1"}} 1.0' in api.get("/metrics").text
