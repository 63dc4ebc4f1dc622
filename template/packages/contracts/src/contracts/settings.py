"""Runtime configuration from environment variables (prefix ``APP_``); never from files."""

import hashlib
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contracts.storage import LakePath, lake_path

# Shortest plaintext API key production accepts: 32 characters of secrets.token_urlsafe
# carry ~190 bits, far beyond online guessing.
MIN_API_KEY_LENGTH = 32
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _split(value: object) -> object:
    """``a,b`` in the environment means two entries; blanks are dropped."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


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
    # Also names the model's folder in the lake's reference zone: no path separators.
    model_name: str = Field(
        default="churn-classifier", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
    )
    quality_gate_metric: Literal["roc_auc", "average_precision", "f1"] = "roc_auc"
    quality_gate_threshold: float = Field(default=0.75, ge=0, le=1)
    # Fewer positives or negatives than this in the evaluation split make every metric noise
    # (one positive gives a ROC AUC of 0 or 1 by luck): the gate refuses to promote.
    quality_gate_min_class_count: int = Field(default=20, ge=1)
    # The model's PR AUC (average precision) must reach the positive rate times this lift; a
    # model ranking at random scores the positive rate itself. 0 turns the check off.
    quality_gate_min_pr_auc_lift: float = Field(default=1.5, ge=0)

    api_key: SecretStr | None = None
    api_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        default=(), description="More valid keys, comma-separated (rotation: old and new)"
    )
    api_key_hashes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="sha256 hex digests of valid keys, comma-separated"
    )
    max_request_bytes: int = Field(default=512 * 1024, ge=1_024)
    metrics_port: int = Field(
        default=9000, ge=0, le=65_535, description="Port of /metrics (serving); 0 turns it off"
    )
    rate_limit_per_second: float = Field(
        default=50, ge=0, description="Sustained requests per second per API key; 0 turns it off"
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="Requests a key may burst")
    model_poll_seconds: float = Field(
        default=30, ge=0, description="How often serving checks the champion alias; 0 never"
    )

    drift_threshold: float = Field(default=0.2, gt=0)

    # Data governance (docs/data-governance.md): the key of the customer-id pseudonyms, from
    # the secret manager; only APP_ENVIRONMENT=local may do without (see contracts.privacy).
    pseudonymisation_key: SecretStr | None = None
    retention_days_raw: int = Field(default=90, ge=1, description="Days a raw partition is kept")
    retention_days_quarantine: int = Field(
        default=30, ge=1, description="Days a quarantine partition is kept"
    )
    retention_days_features: int = Field(
        default=90, ge=1, description="Days a feature partition is kept"
    )

    @field_validator("api_key", "pseudonymisation_key", mode="before")
    @classmethod
    def _empty_key_is_unset(cls, value: object) -> object:
        # `APP_API_KEY=` in an env file means "not configured", never "the empty key".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        return _split(value)

    @field_validator("api_key_hashes", mode="before")
    @classmethod
    def _split_hashes(cls, value: object) -> object:
        return _split(value)

    @field_validator("api_key_hashes")
    @classmethod
    def _hashes_are_sha256(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        hashes = tuple(entry.lower() for entry in value)
        if any(not _SHA256_HEX.fullmatch(entry) for entry in hashes):
            raise ValueError("APP_API_KEY_HASHES entries must be sha256 hex digests (64 hex)")
        return hashes

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
        if self.environment != "production":
            return self
        if not self.api_key and not self.api_keys and not self.api_key_hashes:
            raise ValueError("APP_API_KEY must be set when APP_ENVIRONMENT=production")
        keys = [key.get_secret_value() for key in self.plaintext_api_keys]
        if any(len(key) < MIN_API_KEY_LENGTH for key in keys):
            raise ValueError(
                f"API keys must be at least {MIN_API_KEY_LENGTH} characters when "
                "APP_ENVIRONMENT=production"
            )
        return self

    @property
    def plaintext_api_keys(self) -> tuple[SecretStr, ...]:
        return ((self.api_key,) if self.api_key else ()) + self.api_keys

    @cached_property
    def api_key_digests(self) -> tuple[bytes, ...]:
        """sha256 of every valid key: serving compares digests, never the keys themselves."""
        plain = (
            hashlib.sha256(key.get_secret_value().encode()).digest()
            for key in self.plaintext_api_keys
        )
        return tuple(dict.fromkeys([*plain, *(bytes.fromhex(h) for h in self.api_key_hashes)]))

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
    def reference_root(self) -> LakePath:
        return self.lake_dir / "reference" / "customers"

    @property
    def reference_path(self) -> LakePath:
        """Training features of ``model_name``'s champion: the baseline for its drift reports.

        One folder per model name, so training another model never replaces this one's.
        """
        return self.reference_root / self.model_name / "features.parquet"

    @property
    def lineage_dir(self) -> LakePath:
        return self.lake_dir / "lineage"

    @property
    def audit_dir(self) -> LakePath:
        """Erasure audit records (``forget-customer``): who, when, what, never the customer."""
        return self.lake_dir / "audit" / "erasure"

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
