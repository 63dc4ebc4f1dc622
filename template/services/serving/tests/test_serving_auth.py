"""API keys: several valid at once (rotation), stored as plaintext or as sha256 digests."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from contracts import Settings
from serving.app import create_app
from serving.model import ModelHandle

OLD = "old-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
NEW = "new-key-0123456789-0123456789-0123456789"  # pragma: allowlist secret
HASHED = "hashed-key-0123456789-0123456789-012345"  # pragma: allowlist secret


@pytest.fixture
def client(tmp_path, model_handle: ModelHandle) -> TestClient:
    settings = Settings(
        data_dir=tmp_path,
        environment="production",
        api_key=OLD,
        api_keys=NEW,
        api_key_hashes=hashlib.sha256(HASHED.encode()).hexdigest().upper(),
    )
    return TestClient(create_app(settings, model_handle))


@pytest.mark.parametrize("key", [OLD, NEW, HASHED])
def test_every_configured_key_is_valid_at_once(client: TestClient, instance, key: str) -> None:
    response = client.post(
        "/v1/predict", json={"instances": [instance()]}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "key",
    [
        OLD[:-1],
        OLD + "x",
        hashlib.sha256(HASHED.encode()).hexdigest(),  # the digest itself is not a key
        "",
        "ünïcödé",
    ],
)
def test_other_keys_are_rejected(client: TestClient, instance, key: str) -> None:
    headers = {"X-API-Key": key.encode()} if key else {}
    response = client.post("/v1/predict", json={"instances": [instance()]}, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "variables",
    [
        {"APP_API_KEY": "k" * 31},
        {"APP_API_KEY": "k" * 32, "APP_API_KEYS": "short"},  # pragma: allowlist secret
        {"APP_API_KEY_HASHES": "not-a-digest"},  # pragma: allowlist secret
    ],
)
def test_production_refuses_weak_or_malformed_keys(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    for name in ("APP_API_KEY", "APP_API_KEYS", "APP_API_KEY_HASHES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_hashes_alone_are_enough_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.delenv("APP_API_KEY", raising=False)
    digests = [hashlib.sha256(key.encode()).hexdigest() for key in (OLD, NEW)]
    monkeypatch.setenv("APP_API_KEY_HASHES", " , ".join(digests))
    assert len(Settings().api_key_digests) == 2
