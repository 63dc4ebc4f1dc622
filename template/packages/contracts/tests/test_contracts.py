import pandas as pd
import pytest
from pydantic import ValidationError

from contracts import (
    FEATURE_COLUMNS,
    CustomerRecord,
    PredictionRequest,
    Settings,
    add_derived_features,
)


def _record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "customer_id": "c-1",
        "tenure_months": 12,
        "monthly_spend": 40.0,
        "engagement_score": 0.5,
        "support_tickets": 2,
        "channel": "web",
        "region": "north",
        "churned": False,
    }
    return {**base, **overrides}


def test_record_rejects_out_of_range_values() -> None:
    with pytest.raises(ValidationError):
        CustomerRecord.model_validate(_record(engagement_score=1.5))
    with pytest.raises(ValidationError):
        CustomerRecord.model_validate(_record(channel="fax"))


def test_prediction_request_rejects_empty_and_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        PredictionRequest.model_validate({"instances": []})
    instance = {k: v for k, v in _record().items() if k != "churned"}
    with pytest.raises(ValidationError):
        PredictionRequest.model_validate({"instances": [{**instance, "extra": 1}]})
    assert (
        PredictionRequest.model_validate({"instances": [instance]}).instances[0].tenure_months == 12
    )


def test_derived_features_cover_every_feature_column() -> None:
    frame = add_derived_features(pd.DataFrame([_record(tenure_months=0)]))
    assert set(FEATURE_COLUMNS) <= set(frame.columns)
    assert frame.loc[0, "tickets_per_year"] == pytest.approx(24.0)


def test_production_api_requires_a_key_and_batch_jobs_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.delenv("APP_API_KEY", raising=False)
    # A production batch job (ingestion, features, training...) is never given the API key.
    settings = Settings()
    with pytest.raises(ValueError, match="APP_API_KEY must be set"):
        settings.require_api_key()
    monkeypatch.setenv("APP_API_KEY", "k" * 32)
    Settings().require_api_key()


def test_an_empty_api_key_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_KEY", "  ")
    monkeypatch.setenv("APP_ENVIRONMENT", "local")
    assert Settings().api_key is None
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="APP_API_KEY"):
        Settings().require_api_key()
