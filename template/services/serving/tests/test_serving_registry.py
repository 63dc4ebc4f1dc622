"""Against a real SQLite MLflow registry: the champion alias decides what is served, and only
a version whose files match the digest recorded at registration, read as skops and passing a
smoke prediction, is ever served."""

import pickle
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contracts import Settings
from serving.app import create_app
from serving.model import ModelRegistry, ModelRejected

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
    from contracts.artifacts import ARTIFACT_DIGEST_TAG, artifact_digest

    digest = artifact_digest(registry.artifact_dir(version))
    registry.client.set_model_version_tag(
        registry.settings.model_name, version, ARTIFACT_DIGEST_TAG, digest
    )


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


def test_tampered_model_bytes_are_refused_by_digest(
    registry_settings: Settings, registry, sk_model, caplog
) -> None:
    version = registry.register(sk_model)
    registry.promote(version)
    model_file = registry.artifact_dir(version) / "model.skops"
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


def _broken_model():
    """A real, loadable classifier that was fitted on other columns: every prediction fails."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(
        pd.DataFrame({"unrelated": [0.0, 1.0, 0.0, 1.0]}), [False, True, False, True]
    )


def test_a_model_failing_the_smoke_prediction_never_reports_ready(
    registry_settings: Settings, registry, caplog
) -> None:
    registry.promote(registry.register(_broken_model()))
    with caplog.at_level("ERROR"), TestClient(create_app(registry_settings)) as api:
        assert api.get("/readyz").status_code == 503
    assert "smoke prediction failed" in caplog.text


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
        registry.promote(registry.register(_broken_model()))
        assert _wait_for(lambda: "model_reload_failures_total 1.0" in scrape(api.app))
        assert _served_version(api) == "2"
        status, predicted = request_prediction(api, [instance()], API_KEY)
        assert status == 200
        assert predicted.model_version == "2"
