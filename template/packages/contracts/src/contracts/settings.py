"""Runtime configuration from environment variables (prefix ``APP_``); never from files."""

import hashlib
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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

    @field_validator("api_key", mode="before")
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
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def raw_dir(self) -> Path:
        return self.lake_dir / "raw" / "customers"

    @property
    def quarantine_dir(self) -> Path:
        return self.lake_dir / "quarantine" / "customers"

    @property
    def features_dir(self) -> Path:
        return self.lake_dir / "features" / "customers"

    @property
    def reference_path(self) -> Path:
        """Training features of the current champion: the baseline for drift reports."""
        return self.lake_dir / "reference" / "customers" / "features.parquet"

    @property
    def lineage_dir(self) -> Path:
        return self.lake_dir / "lineage"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking + registry store: SQLite under data/ unless configured."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.data_dir / 'mlflow' / 'mlflow.db').resolve()}"

    @property
    def artifact_location(self) -> str:
        return (self.data_dir / "mlflow" / "artifacts").resolve().as_uri()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
