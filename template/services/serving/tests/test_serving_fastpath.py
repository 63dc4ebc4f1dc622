"""The fast prediction path computes exactly what the slower, obvious one would.

Features are built with numpy instead of pandas, the model runs in ONNX Runtime instead of
scikit-learn, REST responses are serialised by orjson and batch metrics are recorded in one
step: each is compared here with the reference it replaces.
"""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Histogram

from contracts import CHANNELS, FEATURE_COLUMNS, NUMERIC_FEATURES, REGIONS, add_derived_features
from contracts.records import PredictionInstance, PredictionRequest
from serving.metrics import PROBABILITY_BUCKETS, ServiceMetrics, observe_many
from serving.model import ModelHandle
from serving.predict import instance_columns, predict_json, predict_response


def _instances(count: int, seed: int = 1) -> list[PredictionInstance]:
    rng = np.random.default_rng(seed)
    return [
        PredictionInstance(
            customer_id=f"c-{index}" if index % 3 else None,
            tenure_months=int(rng.integers(0, 600)) if index % 5 else 0,
            monthly_spend=float(rng.gamma(2.0, 30.0)),
            engagement_score=float(rng.uniform(0, 1)) if index % 7 else 0.0,
            support_tickets=int(rng.poisson(2.0)),
            channel=CHANNELS[index % len(CHANNELS)],
            region=REGIONS[index % len(REGIONS)],
        )
        for index in range(count)
    ]


def _reference_frame(instances: list[PredictionInstance]) -> pd.DataFrame:
    """What serving computed before: pandas and ``contracts.add_derived_features``."""
    frame = pd.DataFrame([item.model_dump(exclude={"customer_id"}) for item in instances])
    frame = add_derived_features(frame).loc[:, list(FEATURE_COLUMNS)]
    return frame.astype({name: "float64" for name in NUMERIC_FEATURES})


class _Recorder:
    """A model that returns what it was given, so the features themselves can be compared."""

    def __init__(self) -> None:
        self.inputs: dict[str, np.ndarray] = {}

    def scores(self, inputs):
        self.inputs = dict(inputs)
        return np.full(len(inputs["channel"]), 0.5)


def test_numpy_features_equal_the_pandas_reference() -> None:
    instances = _instances(500)
    recorder = _Recorder()
    ModelHandle(name="m", version="1", model=recorder).scores(instance_columns(instances))
    reference = _reference_frame(instances)
    for name in FEATURE_COLUMNS:
        expected = reference[name].to_numpy()
        actual = recorder.inputs[name].ravel()
        if expected.dtype == object:
            assert actual.tolist() == expected.tolist(), name
        else:
            # The model's float32 inputs, from the same float64 values pandas computes.
            np.testing.assert_array_equal(actual, expected.astype(np.float32), err_msg=name)


def test_onnx_probabilities_match_scikit_learn(model_handle: ModelHandle, sk_model) -> None:
    instances = _instances(300, seed=2)
    expected = sk_model.predict_proba(_reference_frame(instances))[:, 1]
    actual = model_handle.scores(instance_columns(instances))
    assert np.max(np.abs(actual - expected)) <= 1e-5


def test_rest_json_equals_the_transport_independent_response(model_handle: ModelHandle) -> None:
    instances = _instances(50, seed=3)
    response = predict_response(
        PredictionRequest(instances=instances), model_handle, ServiceMetrics()
    )
    fast = json.loads(predict_json(instances, model_handle, ServiceMetrics()))
    assert fast == json.loads(response.model_dump_json())
    # The constructed response is still a valid one.
    assert type(response).model_validate_json(response.model_dump_json()) == response


@pytest.mark.parametrize("values", [[], [0.0], [0.1, 0.1000001, 0.5, 0.99, 1.0, 0.0, 0.3]])
def test_batch_histogram_observation_equals_one_observe_per_value(values: list[float]) -> None:
    def samples(histogram: Histogram, registry: CollectorRegistry) -> dict[str, float]:
        return {
            f"{sample.name}{sorted(sample.labels.items())}": sample.value
            for metric in registry.collect()
            for sample in metric.samples
            if not sample.name.endswith("_created")
        }

    one_by_one, batched = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("p", "p", buckets=PROBABILITY_BUCKETS, registry=one_by_one)
    fast = Histogram("p", "p", buckets=PROBABILITY_BUCKETS, registry=batched)
    for value in values:
        reference.observe(value)
    observe_many(fast, np.asarray(values, dtype=float), np.asarray(fast._upper_bounds))
    assert samples(fast, batched) == samples(reference, one_by_one)


SERVE_ONE = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from contracts import PredictionRequest, Settings
from serving.app import create_app
from serving.model import ModelHandle, load_onnx
from serving.predict import predict_response

model = load_onnx(Path(sys.argv[1]))
app = create_app(Settings(environment="test"), ModelHandle(name="m", version="1", model=model))
body = {"instances": [{"tenure_months": 3, "monthly_spend": 20.0, "engagement_score": 0.1,
         "support_tickets": 4, "channel": "web", "region": "north"}]}
# The path every API style shares, then REST's own route where this style has it.
payload = PredictionRequest.model_validate(body)
assert predict_response(payload, app.state.model, app.state.metrics).predictions
if any(getattr(route, "path", None) == "/v1/predict" for route in app.routes):
    assert TestClient(app).post("/v1/predict", json=body).status_code == 200
heavy = ("pandas", "sklearn", "skops", "mlflow", "pyarrow", "sqlalchemy", "skl2onnx", "torch")
heavy += ("tensorflow", "keras", "tf2onnx")
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def test_serving_a_prediction_imports_no_training_stack(tmp_path, onnx_model: bytes) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(onnx_model)
    result = subprocess.run(
        [sys.executable, "-c", SERVE_ONE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
