"""End to end: the whole lifecycle on a small sample, then the real API on the trained model."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contracts import Settings, get_settings

API_KEY = "e2e-test-key-0123456789abcdef"  # pragma: allowlist secret


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_N_ROWS", "2000")
    monkeypatch.setenv("APP_API_KEY", API_KEY)
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


def test_pipeline_trains_a_champion_and_serves_it(workspace: Settings, request_prediction) -> None:
    from features.__main__ import main as build_features
    from ingestion.__main__ import main as ingest
    from monitoring.__main__ import main as drift_report
    from serving.app import create_app, create_metrics_app
    from training.__main__ import main as train

    assert ingest(["--rows", "2000", "--date", "2026-01-01"]) == 0
    assert build_features([]) == 0
    assert train([]) == 0
    assert workspace.reference_path.exists()
    assert drift_report([]) == 0
    assert (workspace.reports_dir / "drift" / "drift_report.json").exists()

    instance = {
        "customer_id": "c-42",
        "tenure_months": 3,
        "monthly_spend": 12.5,
        "engagement_score": 0.05,
        "support_tickets": 9,
        "channel": "web",
        "region": "north",
    }
    app = create_app(workspace)
    with TestClient(app) as client:
        # Ready only after the digest recorded by training matched and a smoke prediction ran.
        assert client.get("/readyz").status_code == 200
        assert request_prediction(client, [instance], None) == (401, None)
        status, body = request_prediction(client, [instance], API_KEY)
        assert status == 200
        assert body.model_version
        prediction = body.predictions[0]
        assert prediction.customer_id == "c-42"
        # A new, disengaged customer with many tickets is a textbook churner.
        assert prediction.churn_probability > 0.5
        metrics = TestClient(create_metrics_app(app)).get("/metrics").text
        assert "http_requests_total" in metrics
        assert f"model_version {float(body.model_version)}" in metrics


def test_drifted_batch_is_reported(workspace: Settings) -> None:
    from features.__main__ import main as build_features
    from ingestion.__main__ import main as ingest
    from monitoring.__main__ import main as drift_report
    from training.__main__ import main as train

    assert ingest(["--rows", "2000", "--date", "2026-01-01"]) == 0
    assert build_features([]) == 0
    assert train([]) == 0
    assert ingest(["--rows", "2000", "--date", "2026-01-02", "--drift", "0.8"]) == 0
    assert build_features([]) == 0
    assert drift_report([]) == 1
