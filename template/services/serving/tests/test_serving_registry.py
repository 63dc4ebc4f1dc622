"""Against a real SQLite MLflow registry: the champion alias decides what is served, and only
a version whose files match the digest recorded at registration, whose ONNX model uses
standard operators only and takes the churn features, and that passes a smoke prediction, is
ever served."""

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from contracts import Settings
from serving.app import create_app
from serving.model import MODEL_FILE, ModelRegistry, ModelRejected, check_onnx, load_onnx

API_KEY = "test-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
AUTH = {"X-API-Key": API_KEY}


def test_lifespan_serves_the_champion_from_the_registry(
    registry_settings: Settings, registry, sk_model, instance, scrape, request_prediction
) -> None:
    registry.register(sk_model)
    registry.register(sk_model)

    # Registered but never promoted: nothing to serve.
    with TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503

    registry.promote("1")
    with TestClient(create_app(registry_settings)) as api:
        ready = api.get("/readyz", headers=AUTH)
        assert ready.status_code == 200, ready.text
        assert ready.json()["model_version"] == "1"  # the alias, not the latest version
        status, predicted = request_prediction(api, [instance()], API_KEY)
        assert status == 200
        assert predicted.model_version == "1"
        assert 0 <= predicted.predictions[0].churn_probability <= 1
        metrics = scrape(api.app)
        assert f'model_info{{name="{registry_settings.model_name}",version="1"}} 1.0' in metrics
        assert "model_version 1.0" in metrics


class _WritesMarker:
    """Unpickling this runs code: it would write ``path`` (the attack's proof of execution)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (self.path, "pwned"))


def _swap_in_a_pickle(directory: Path, marker: Path) -> None:
    (directory / MODEL_FILE).unlink()
    (directory / "model.skops").unlink()
    (directory / "model.pkl").write_bytes(pickle.dumps(_WritesMarker(marker)))
    mlmodel = directory / "MLmodel"
    text = mlmodel.read_text().replace(
        "serialization_format: skops", "serialization_format: pickle"
    )
    text = text.replace("pickled_model: model.skops", "pickled_model: model.pkl")
    assert "serialization_format: pickle" in text
    mlmodel.write_text(text)


def _retag(registry, version: str) -> None:
    """The attacker also rewrote the digest tag, so only the format check stands in the way."""
    registry.retag(version)


@pytest.mark.parametrize("retag", [False, True], ids=["digest-mismatch", "digest-rewritten"])
def test_a_pickle_in_the_artifact_is_never_loaded(
    registry_settings: Settings, registry, sk_model, tmp_path, retag: bool, scrape
) -> None:
    version = registry.register(sk_model)
    registry.promote(version)
    marker = tmp_path / "marker-code-ran"
    _swap_in_a_pickle(registry.artifact_dir(version), marker)
    if retag:
        _retag(registry, version)

    with pytest.raises(ModelRejected):
        ModelRegistry(registry_settings).load(ModelRegistry(registry_settings).champion())
    with TestClient(create_app(registry_settings)) as api:
        assert api.get("/healthz").status_code == 200
        assert api.get("/readyz").status_code == 503
        assert "model_reload_failures_total 1.0" in scrape(api.app)
    assert not marker.exists(), "the pickle ran: serving deserialised an untrusted artifact"


@pytest.mark.parametrize("name", [MODEL_FILE, "model.skops", "MLmodel"])
def test_tampered_model_bytes_are_refused_by_digest(
    registry_settings: Settings, registry, sk_model, caplog, name: str
) -> None:
    version = registry.register(sk_model)
    registry.promote(version)
    model_file = registry.artifact_dir(version) / name
    data = bytearray(model_file.read_bytes())
    data[-100] ^= 0xFF
    model_file.write_bytes(bytes(data))

    with caplog.at_level("ERROR"), TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503
    assert "do not match the digest recorded at registration" in caplog.text


def test_a_version_without_a_recorded_digest_is_refused(
    registry_settings: Settings, registry, sk_model, caplog
) -> None:
    registry.promote(registry.register(sk_model, digest=False))
    with caplog.at_level("ERROR"), TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503
    assert "artifact_sha256" in caplog.text


def _crafted_onnx(nodes, initializers=(), opsets=()) -> bytes:
    """A hand-made ONNX model with the inputs and output serving expects around ``nodes``."""
    from onnx import TensorProto, helper

    from contracts.artifacts import ONNX_POSITIVE_INDEX_KEY
    from contracts.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 1])
        for name in NUMERIC_FEATURES
    ] + [
        helper.make_tensor_value_info(name, TensorProto.STRING, [None, 1])
        for name in CATEGORICAL_FEATURES
    ]
    output = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])
    graph = helper.make_graph(nodes, "crafted", inputs, [output], list(initializers))
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), *opsets], ir_version=8
    )
    helper.set_model_props(model, {ONNX_POSITIVE_INDEX_KEY: "1"})
    return model.SerializeToString()


def _failing_onnx() -> bytes:
    """Loads, but every prediction of more than two rows fails (rows of 8 and 2 concatenated)."""
    from onnx import helper, numpy_helper

    two_rows = numpy_helper.from_array(np.zeros((2, 1), dtype=np.float32), "two_rows")
    concat = helper.make_node("Concat", ["tenure_months", "two_rows"], ["probabilities"], axis=1)
    return _crafted_onnx([concat], [two_rows])


def _custom_op_onnx() -> bytes:
    """Asks for an operator of a custom domain, which only a native library could provide."""
    from onnx import helper

    node = helper.make_node("Exec", ["tenure_months"], ["probabilities"], domain="com.example.evil")
    return _crafted_onnx([node], opsets=[helper.make_opsetid("com.example.evil", 1)])


def _external_data_onnx() -> bytes:
    """A weight "stored" in a file outside the artifact: reading it would read that file."""
    from onnx import TensorProto, helper

    weight = TensorProto(name="weight", data_type=TensorProto.FLOAT, dims=[1])
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "../../../../etc/hostname"
    added = helper.make_node("Add", ["tenure_months", "weight"], ["shifted"])
    concat = helper.make_node("Concat", ["shifted", "shifted"], ["probabilities"], axis=1)
    return _crafted_onnx([added, concat], [weight])


def test_a_model_failing_the_smoke_prediction_never_reports_ready(
    registry_settings: Settings, registry, sk_model, caplog
) -> None:
    registry.promote(registry.register(sk_model, onnx=_failing_onnx()))
    with caplog.at_level("ERROR"), TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503
    assert "smoke prediction failed" in caplog.text


def test_a_custom_operator_domain_is_refused_even_with_a_matching_digest(
    registry_settings: Settings, registry, sk_model, caplog, scrape
) -> None:
    # Registered with the digest of these very files: only the domain check stands.
    registry.promote(registry.register(sk_model, onnx=_custom_op_onnx()))
    with caplog.at_level("ERROR"), TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503
        assert "model_reload_failures_total 1.0" in scrape(api.app)
    assert "non-standard operator domains: ['com.example.evil']" in caplog.text


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (_custom_op_onnx, "non-standard operator domains"),
        (_external_data_onnx, "external tensor files"),
        (lambda: b"\x08\x07garbage that is no protobuf", "is not an ONNX model"),
    ],
    ids=["custom-domain", "external-data", "not-onnx"],
)
def test_unsafe_onnx_is_refused_before_onnx_runtime_sees_it(model, message: str) -> None:
    with pytest.raises(ModelRejected, match=message):
        check_onnx(model())


def test_a_model_taking_other_inputs_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import helper

    # Valid, standard and runnable, but it does not take the churn features.
    model = _crafted_onnx([helper.make_node("Identity", ["x"], ["probabilities"])])
    proto = onnx.load_model_from_string(model)
    del proto.graph.input[:]
    proto.graph.input.append(helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 2]))
    path = tmp_path / "model.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(ModelRejected, match="does not take the churn features"):
        load_onnx(path)


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _served_version(api: TestClient) -> str | None:
    response = api.get("/readyz", headers=AUTH)
    return response.json().get("model_version") if response.status_code == 200 else None


def test_serving_follows_the_champion_without_a_restart(
    registry_settings: Settings, registry, sk_model, instance, scrape, request_prediction
) -> None:
    settings = registry_settings.model_copy(update={"model_poll_seconds": 0.1})
    with TestClient(create_app(settings)) as api:
        # Started before the first training run: live, not ready.
        assert api.get("/healthz").status_code == 200
        assert api.get("/readyz").status_code == 503

        registry.promote(registry.register(sk_model))
        assert _wait_for(lambda: _served_version(api) == "1")
        assert request_prediction(api, [instance()], API_KEY)[1].model_version == "1"

        registry.promote(registry.register(sk_model))
        assert _wait_for(lambda: _served_version(api) == "2")
        assert "model_version 2.0" in scrape(api.app)

        # A broken version (fails the smoke prediction) is promoted: version 2 keeps serving.
        registry.promote(registry.register(sk_model, onnx=_failing_onnx()))
        assert _wait_for(lambda: "model_reload_failures_total 1.0" in scrape(api.app))
        assert _served_version(api) == "2"
        status, predicted = request_prediction(api, [instance()], API_KEY)
        assert status == 200
        assert predicted.model_version == "2"
