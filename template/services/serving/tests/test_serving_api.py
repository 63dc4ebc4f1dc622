"""The HTTP contract of the prediction API, with a real in-memory model (no MLflow)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from contracts import PredictionResponse, Settings
from serving.app import create_app
from serving.model import ModelHandle

API_KEY = "test-key-0123456789"  # pragma: allowlist secret
AUTH = {"X-API-Key": API_KEY}


@pytest.fixture
def client(settings: Settings, model_handle: ModelHandle) -> Iterator[TestClient]:
    with TestClient(create_app(settings, model_handle)) as test_client:
        yield test_client


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert "Traceback" not in response.text
    return error


def test_predict_returns_probabilities_for_every_instance(client: TestClient, instance) -> None:
    loyal = instance(customer_id="loyal", tenure_months=70, engagement_score=0.95)
    leaving = instance(customer_id="leaving", tenure_months=1, engagement_score=0.02)
    response = client.post("/v1/predict", json={"instances": [loyal, leaving]}, headers=AUTH)

    assert response.status_code == 200, response.text
    body = PredictionResponse.model_validate(response.json())
    assert (body.model_name, body.model_version) == ("churn-test", "7")
    by_id = {p.customer_id: p for p in body.predictions}
    assert by_id["leaving"].churn_probability > by_id["loyal"].churn_probability
    for prediction in body.predictions:
        assert 0 <= prediction.churn_probability <= 1
        assert prediction.churn == (prediction.churn_probability >= 0.5)
    assert by_id["leaving"].churn and not by_id["loyal"].churn


def test_predict_matches_the_model_on_derived_features(
    client: TestClient, instance, sk_model
) -> None:
    import pandas as pd

    from contracts import FEATURE_COLUMNS, add_derived_features

    raw = instance(customer_id=None, tenure_months=0, support_tickets=9)
    response = client.post("/v1/predict", json={"instances": [raw]}, headers=AUTH)
    frame = add_derived_features(pd.DataFrame([raw]).drop(columns="customer_id"))
    expected = sk_model.predict_proba(frame.loc[:, list(FEATURE_COLUMNS)])[0, 1]
    prediction = response.json()["predictions"][0]
    assert prediction["customer_id"] is None
    assert prediction["churn_probability"] == pytest.approx(expected)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": "tëst".encode()}])
def test_predict_requires_the_api_key(client: TestClient, instance, headers) -> None:
    response = client.post("/v1/predict", json={"instances": [instance()]}, headers=headers)
    _assert_error(response, 401, "unauthorized")


def test_auth_is_checked_before_the_payload(client: TestClient) -> None:
    response = client.post("/v1/predict", json={"instances": [{"bogus": 1}]})
    _assert_error(response, 401, "unauthorized")


def test_predict_is_open_without_a_key_outside_production(
    tmp_path, model_handle, instance, caplog
) -> None:
    settings = Settings(data_dir=tmp_path, environment="local", api_key=None)
    with caplog.at_level("WARNING"), TestClient(create_app(settings, model_handle)) as client:
        response = client.post("/v1/predict", json={"instances": [instance()]})
    assert response.status_code == 200
    assert sum("APP_API_KEY is not set" in r.message for r in caplog.records) == 1


def test_oversized_body_is_rejected_by_content_length(client: TestClient, instance) -> None:
    instances = [instance(customer_id=f"c-{i}") for i in range(100)]  # well over 4 KiB
    response = client.post("/v1/predict", json={"instances": instances}, headers=AUTH)
    _assert_error(response, 413, "request_too_large")
    # Rejected from the header alone, before reading the body, so the connection is dropped.
    assert response.headers["connection"] == "close"


def test_oversized_body_is_rejected_while_streaming(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"instances": ['
        for _ in range(200):
            yield b'{"customer_id": "x", "tenure_months": 1},'
        yield b"]}"

    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post("/v1/predict", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    _assert_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "payload",
    [
        {"instances": []},
        {"instances": [{"tenure_months": -1}]},
        {"instances": [{"channel": "fax"}]},
        {"instances": [{"unexpected": True}]},
        {"rows": []},
    ],
)
def test_invalid_payloads_get_a_json_422(client: TestClient, instance, payload) -> None:
    if payload.get("instances"):
        payload = {"instances": [instance(**payload["instances"][0])]}
    error = _assert_error(
        client.post("/v1/predict", json=payload, headers=AUTH), 422, "validation_error"
    )
    assert error["details"] and all("input" not in detail for detail in error["details"])


def test_malformed_json_gets_a_json_422(client: TestClient) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post("/v1/predict", content=b"{not json", headers=headers)
    _assert_error(response, 422, "validation_error")


def test_unknown_routes_and_methods_are_json_errors(client: TestClient) -> None:
    _assert_error(client.get("/nope"), 404, "not_found")
    _assert_error(client.get("/v1/predict"), 405, "method_not_allowed")


def test_without_a_model_the_app_is_live_but_not_ready(settings: Settings, instance) -> None:
    with TestClient(create_app(settings)) as client:  # empty data dir: no registry at all
        assert client.get("/healthz").status_code == 200
        _assert_error(client.get("/readyz"), 503, "model_not_loaded")
        response = client.post("/v1/predict", json={"instances": [instance()]}, headers=AUTH)
        _assert_error(response, 503, "model_not_loaded")
        assert "model_loaded 0.0" in client.get("/metrics").text


def test_ready_with_a_model(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["model_version"] == "7"


def test_metrics_count_requests_and_predictions(client: TestClient, instance) -> None:
    client.post("/v1/predict", json={"instances": [instance(), instance()]}, headers=AUTH)
    client.post("/v1/predict", json={"instances": [instance()]})  # 401
    client.get("/no/such/path/123")
    text = client.get("/metrics").text

    assert 'http_requests_total{method="POST",route="/v1/predict",status="200"} 1.0' in text
    assert 'http_requests_total{method="POST",route="/v1/predict",status="401"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/path" not in text
    assert 'http_request_duration_seconds_count{route="/v1/predict"} 2.0' in text
    assert "churn_prediction_probability_count 2.0" in text
    assert 'model_info{name="churn-test",version="7"} 1.0' in text


def test_each_app_has_its_own_metrics(settings: Settings, model_handle, instance) -> None:
    first = TestClient(create_app(settings, model_handle))
    second = TestClient(create_app(settings, model_handle))
    first.post("/v1/predict", json={"instances": [instance()]}, headers=AUTH)
    assert "churn_prediction_probability_count 1.0" in first.get("/metrics").text
    assert "churn_prediction_probability_count 0.0" in second.get("/metrics").text


def test_responses_carry_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_production_hides_the_schema(tmp_path, model_handle) -> None:
    settings = Settings(data_dir=tmp_path, environment="production", api_key=API_KEY)
    client = TestClient(create_app(settings, model_handle))
    _assert_error(client.get("/docs"), 404, "not_found")
    _assert_error(client.get("/openapi.json"), 404, "not_found")
