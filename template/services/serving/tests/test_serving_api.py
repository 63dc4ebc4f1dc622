"""The HTTP contract of the prediction API, with a real in-memory model (no MLflow)."""

import asyncio
import json
import random
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from contracts import PredictionResponse, Settings
from serving.app import create_app
from serving.model import ModelHandle

API_KEY = "test-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
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
    # ONNX Runtime (float32) against scikit-learn (float64): the registration parity bound.
    assert prediction["churn_probability"] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": "tëst".encode()}])
def test_predict_requires_the_api_key(client: TestClient, instance, headers) -> None:
    response = client.post("/v1/predict", json={"instances": [instance()]}, headers=headers)
    _assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "body", [b'{"instances": [{"bogus": 1}]}', b"{not json", b"\xff\xfe", b"[" * 4_000]
)
def test_auth_is_checked_before_the_body_is_read(client: TestClient, body: bytes) -> None:
    """Anonymous callers get 401 whatever they send: their body is never parsed."""
    headers = {"Content-Type": "application/json"}
    response = client.post("/v1/predict", content=body, headers=headers)
    error = _assert_error(response, 401, "unauthorized")
    assert "details" not in error


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


@pytest.mark.parametrize("body", [b"{not json", b'{"instances": [NaN]}', b"[" * 4_000])
def test_malformed_json_gets_a_json_422(client: TestClient, body: bytes) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = client.post("/v1/predict", content=body, headers=headers)
    _assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "payload",
    [
        {"instances": [{"tenure_months": 1, "debug": True}]},
        {"instances": [{}], "explain": True},
    ],
)
def test_unknown_fields_are_refused(client: TestClient, instance, payload) -> None:
    payload["instances"] = [instance(**payload["instances"][0])]
    error = _assert_error(
        client.post("/v1/predict", json=payload, headers=AUTH), 422, "validation_error"
    )
    assert {detail["type"] for detail in error["details"]} == {"extra_forbidden"}


@pytest.fixture
def roomy_client(tmp_path, model_handle: ModelHandle) -> Iterator[TestClient]:
    # The limit of the reviewed setup (1 MB), above today's default of 512 KiB.
    settings = Settings(
        data_dir=tmp_path, environment="test", api_key=API_KEY, max_request_bytes=1_000_000
    )
    with TestClient(create_app(settings, model_handle)) as test_client:
        yield test_client


def test_80000_unknown_keys_get_a_short_422(roomy_client: TestClient, instance) -> None:
    """The reviewed attack: one instance with 80,000 unknown keys (8.3 MB of errors before)."""
    bloated = {**instance(), **{str(index): 1 for index in range(80_000)}}
    body = json.dumps({"instances": [bloated]}).encode()
    assert len(body) < 1_000_000
    headers = {**AUTH, "Content-Type": "application/json"}
    response = roomy_client.post("/v1/predict", content=body, headers=headers)
    _assert_error(response, 422, "validation_error")
    assert len(response.content) < 2_000


def test_validation_errors_are_capped(roomy_client: TestClient, instance) -> None:
    bad = instance(tenure_months=-1, channel="fax", region="moon")
    response = roomy_client.post("/v1/predict", json={"instances": [bad] * 1000}, headers=AUTH)
    error = _assert_error(response, 422, "validation_error")
    assert len(error["details"]) == 10
    assert "3000 errors, first 10 shown" in error["message"]
    assert len(response.content) < 4_000


def test_too_many_instances_are_refused_before_validation(
    roomy_client: TestClient, instance
) -> None:
    response = roomy_client.post(
        "/v1/predict", json={"instances": [instance()] * 1001}, headers=AUTH
    )
    error = _assert_error(response, 422, "validation_error")
    assert [detail["type"] for detail in error["details"]] == ["too_long"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_bodies_other_than_json_get_415(client: TestClient, instance, content_type) -> None:
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    body = json.dumps({"instances": [instance()]}).encode()
    response = client.post("/v1/predict", content=body, headers=headers)
    _assert_error(response, 415, "unsupported_media_type")


def test_unknown_routes_and_methods_are_json_errors(client: TestClient) -> None:
    _assert_error(client.get("/nope"), 404, "not_found")
    _assert_error(client.get("/v1/predict"), 405, "method_not_allowed")


def test_without_a_model_the_app_is_live_but_not_ready(
    settings: Settings, instance, scrape
) -> None:
    with TestClient(create_app(settings)) as client:  # empty data dir: no registry at all
        assert client.get("/healthz").status_code == 200
        _assert_error(client.get("/readyz"), 503, "model_not_loaded")
        response = client.post("/v1/predict", json={"instances": [instance()]}, headers=AUTH)
        _assert_error(response, 503, "model_not_loaded")
        assert "model_loaded 0.0" in scrape(client.app)


def test_ready_with_a_model_shows_details_only_to_key_holders(client: TestClient) -> None:
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ready"}
    wrong = client.get("/readyz", headers={"X-API-Key": "guess"})
    assert wrong.json() == {"status": "ready"}
    authenticated = client.get("/readyz", headers=AUTH)
    assert authenticated.json()["model_version"] == "7"


def test_metrics_count_requests_and_predictions(client: TestClient, instance, scrape) -> None:
    client.post("/v1/predict", json={"instances": [instance(), instance()]}, headers=AUTH)
    client.post("/v1/predict", json={"instances": [instance()]})  # 401
    client.get("/no/such/path/123")
    text = scrape(client.app)

    assert 'http_requests_total{method="POST",route="/v1/predict",status="200"} 1.0' in text
    assert 'http_requests_total{method="POST",route="/v1/predict",status="401"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/path" not in text
    assert 'http_request_duration_seconds_count{route="/v1/predict"} 2.0' in text
    assert "churn_prediction_probability_count 2.0" in text
    assert 'model_info{name="churn-test",version="7"} 1.0' in text


def test_each_app_has_its_own_metrics(settings: Settings, model_handle, instance, scrape) -> None:
    first = TestClient(create_app(settings, model_handle))
    second = TestClient(create_app(settings, model_handle))
    first.post("/v1/predict", json={"instances": [instance()]}, headers=AUTH)
    assert "churn_prediction_probability_count 1.0" in scrape(first.app)
    assert "churn_prediction_probability_count 0.0" in scrape(second.app)


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


def test_metrics_are_not_served_on_the_api_port(client: TestClient) -> None:
    _assert_error(client.get("/metrics"), 404, "not_found")


def _asgi_request(app, method: str, path: str) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        return None

    return app(scope, receive, send)


def test_random_methods_and_paths_keep_metric_series_bounded(client: TestClient, scrape) -> None:
    """20,000 requests with made-up methods and paths (20,004 series before the fix)."""
    rng = random.Random(0)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    async def flood() -> None:
        for _ in range(20_000):
            method = "".join(rng.choices(letters, k=8))
            path = rng.choice(["/v1/predict", "/healthz", f"/x/{rng.random()}"])
            await _asgi_request(client.app, method, path)

    asyncio.run(flood())
    series = [
        line for line in scrape(client.app).splitlines() if line.startswith("http_requests_total{")
    ]
    assert 0 < len(series) <= 10, series
    assert any('method="other"' in line for line in series)


def test_rate_limit_per_key_answers_429_with_retry_after(
    tmp_path, model_handle: ModelHandle, instance
) -> None:
    other_key = "second-key-for-rotation-0123456789abcdef"  # pragma: allowlist secret
    settings = Settings(
        data_dir=tmp_path,
        environment="test",
        api_key=API_KEY,
        api_keys=other_key,
        rate_limit_per_second=0.5,
        rate_limit_burst=2,
    )
    payload = {"instances": [instance()]}
    with TestClient(create_app(settings, model_handle)) as client:
        statuses = [client.post("/v1/predict", json=payload, headers=AUTH) for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        error = _assert_error(statuses[-1], 429, "rate_limited")
        assert error["message"]
        assert 1 <= int(statuses[-1].headers["retry-after"]) <= 2
        # Each key has its own bucket; anonymous callers do not spend anyone's tokens.
        other = client.post("/v1/predict", json=payload, headers={"X-API-Key": other_key})
        assert other.status_code == 200
        assert client.post("/v1/predict", json=payload).status_code == 401
