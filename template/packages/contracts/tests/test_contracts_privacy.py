"""Personal-data markers, the keyed pseudonym and its key, and the governance doc they feed."""

import stat
from pathlib import Path

import pytest

from contracts import Settings
from contracts.privacy import (
    KEY_FILE,
    PseudonymisationKeyError,
    inventory_block,
    personal_fields,
    pseudonym,
    pseudonymisation_key,
    render_inventory,
)
from contracts.records import PredictionRequest

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-governance.md"


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("APP_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("APP_ENVIRONMENT", raising=False)
    return Settings()


def test_the_customer_id_is_marked_as_a_direct_identifier() -> None:
    marked = {(item.model, item.field): item.marker for item in personal_fields()}
    assert marked[("CustomerRecord", "customer_id")].category == "direct identifier"
    assert marked[("PredictionInstance", "customer_id")].category == "direct identifier"
    assert marked[("CustomerRecord", "monthly_spend")].category == "personal attribute"
    # Inherited with the same marker: listed once, under the record that defines the data.
    assert ("PredictionInstance", "monthly_spend") not in marked


def test_markers_leave_the_api_schema_unchanged() -> None:
    assert "PersonalData" not in str(PredictionRequest.model_json_schema())


def test_the_governance_doc_lists_exactly_the_marked_fields() -> None:
    """Drift test: `make governance-doc` regenerates the block after a contract change."""
    block = inventory_block(DOC.read_text(encoding="utf-8"))
    assert block == render_inventory(), "run `make governance-doc` and commit the result"
    for item in personal_fields():
        assert f"`{item.model}.{item.field}`" in block


def test_pseudonyms_are_keyed_stable_and_not_the_id() -> None:
    key, other = b"k" * 32, b"o" * 32
    assert pseudonym("C0000001", key) == pseudonym("C0000001", key)
    assert pseudonym("C0000001", key) != pseudonym("C0000002", key)
    assert pseudonym("C0000001", key) != pseudonym("C0000001", other)
    assert "C0000001" not in pseudonym("C0000001", key)
    assert len(pseudonym("C0000001", key)) == 64


def test_local_dev_creates_one_private_key_per_checkout_outside_the_lake(
    settings: Settings,
) -> None:
    key = pseudonymisation_key(settings)

    path = settings.data_dir / KEY_FILE
    assert path.read_bytes().strip() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.lake_dir not in path.parents
    assert pseudonymisation_key(Settings()) == key, "stable between runs"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_outside_local_dev_the_key_must_come_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", environment)
    monkeypatch.setenv("APP_API_KEY", "k" * 32)
    with pytest.raises(PseudonymisationKeyError, match="APP_PSEUDONYMISATION_KEY must be set"):
        pseudonymisation_key(Settings())
    assert not (settings.data_dir / KEY_FILE).exists(), "never a silently generated key"

    monkeypatch.setenv("APP_PSEUDONYMISATION_KEY", "s" * 40)
    assert pseudonymisation_key(Settings()) == b"s" * 40


def test_a_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_PSEUDONYMISATION_KEY", "too-short")
    with pytest.raises(PseudonymisationKeyError, match="at least 32 bytes"):
        pseudonymisation_key(Settings())
