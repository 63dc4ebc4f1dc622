"""Runtime configuration from environment variables (prefix ``APP_``); never from files."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.storage import LakePath, lake_path


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", extra="ignore")

    environment: Literal["local", "test", "production"] = "local"
    data_dir: Path = Path("data")
    lake_uri: str | None = Field(
        default=None,
        description="Root of the data lake: a folder or an fsspec URL such as s3://bucket/lake, "
        "gs://bucket/lake or abfs://container@account.dfs.core.windows.net/lake "
        "(default: APP_DATA_DIR/lake)",
    )
    reports_uri: str | None = Field(
        default=None,
        description="Root of the reports (drift), a folder or an fsspec URL "
        "(default: APP_DATA_DIR/reports)",
    )
    code_version: str = Field(
        default="unknown", description="Git commit of the running code, set by CI or the image"
    )
    seed: int = 42
    n_rows: int = Field(default=10_000, ge=100)

    mlflow_tracking_uri: str | None = None
    model_name: str = "churn-classifier"
    quality_gate_metric: Literal["roc_auc", "average_precision", "f1"] = "roc_auc"
    quality_gate_threshold: float = Field(default=0.75, ge=0, le=1)

    api_key: SecretStr | None = None
    max_request_bytes: int = Field(default=1_000_000, ge=1_024)

    drift_threshold: float = Field(default=0.2, gt=0)

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value: object) -> object:
        # `APP_API_KEY=` in an env file means "not configured", never "the empty key".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("lake_uri", "reports_uri")
    @classmethod
    def _usable_location(cls, value: str | None) -> str | None:
        # Fail at start-up, in one line, when the scheme's filesystem is not installed.
        if value is not None and value.strip():
            lake_path(value.strip())
            return value.strip()
        return None

    @model_validator(mode="after")
    def _production_needs_api_key(self) -> "Settings":
        if self.environment == "production" and not self.api_key:
            raise ValueError("APP_API_KEY must be set when APP_ENVIRONMENT=production")
        return self

    @property
    def lake_dir(self) -> LakePath:
        """The lake root; its zones (raw/, features/, ...) are the cloud IAM's prefixes."""
        return lake_path(self.lake_uri) if self.lake_uri else self.data_dir / "lake"

    @property
    def raw_dir(self) -> LakePath:
        return self.lake_dir / "raw" / "customers"

    @property
    def quarantine_dir(self) -> LakePath:
        return self.lake_dir / "quarantine" / "customers"

    @property
    def features_dir(self) -> LakePath:
        return self.lake_dir / "features" / "customers"

    @property
    def reference_path(self) -> LakePath:
        """Training features of the current champion: the baseline for drift reports."""
        return self.lake_dir / "reference" / "customers" / "features.parquet"

    @property
    def lineage_dir(self) -> LakePath:
        return self.lake_dir / "lineage"

    @property
    def reports_dir(self) -> LakePath:
        return lake_path(self.reports_uri) if self.reports_uri else self.data_dir / "reports"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking + registry store: SQLite under data/ unless configured."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.data_dir / 'mlflow' / 'mlflow.db').resolve()}"

    @property
    def artifact_location(self) -> str | None:
        """Where new experiments keep artifacts: under data/ next to the local SQLite store;
        None with a tracking server, which stores them itself (proxied ``mlflow-artifacts:``),
        so no workload needs a shared volume to hand a model from training to serving."""
        if self.tracking_uri.startswith(("http://", "https://")):
            return None
        return (self.data_dir / "mlflow" / "artifacts").resolve().as_uri()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
