"""Contracts shared by every service: records, features, API payloads, settings."""

from contracts.features import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    LABEL_COLUMN,
    NUMERIC_FEATURES,
    add_derived_features,
)
from contracts.lake import PARTITION_KEY, latest_partition, partition_dir
from contracts.lineage import DatasetManifest, LineageRecord
from contracts.records import (
    CHANNELS,
    REGIONS,
    CustomerFeatures,
    CustomerRecord,
    Prediction,
    PredictionRequest,
    PredictionResponse,
)
from contracts.settings import Settings, get_settings

__all__ = [
    "CATEGORICAL_FEATURES",
    "CHANNELS",
    "FEATURE_COLUMNS",
    "LABEL_COLUMN",
    "NUMERIC_FEATURES",
    "PARTITION_KEY",
    "REGIONS",
    "CustomerFeatures",
    "CustomerRecord",
    "DatasetManifest",
    "LineageRecord",
    "Prediction",
    "PredictionRequest",
    "PredictionResponse",
    "Settings",
    "add_derived_features",
    "get_settings",
    "latest_partition",
    "partition_dir",
]
