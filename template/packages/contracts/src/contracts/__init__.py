"""Contracts shared by every service: records, features, API payloads, settings.

Names are imported from their module on first use (PEP 562), so a service that needs only the
API payloads (serving) does not pay for the lake's pandas and pyarrow at start-up.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.features import (
        CATEGORICAL_FEATURES,
        FEATURE_COLUMNS,
        LABEL_COLUMN,
        NUMERIC_FEATURES,
        add_derived_features,
    )
    from contracts.lake import PARTITION_KEY, latest_partition, partition_dir
    from contracts.lineage import DatasetManifest
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

_MODULES = {
    "contracts.features": (
        "CATEGORICAL_FEATURES",
        "FEATURE_COLUMNS",
        "LABEL_COLUMN",
        "NUMERIC_FEATURES",
        "add_derived_features",
    ),
    "contracts.lake": ("PARTITION_KEY", "latest_partition", "partition_dir"),
    "contracts.lineage": ("DatasetManifest",),
    "contracts.records": (
        "CHANNELS",
        "REGIONS",
        "CustomerFeatures",
        "CustomerRecord",
        "Prediction",
        "PredictionRequest",
        "PredictionResponse",
    ),
    "contracts.settings": ("Settings", "get_settings"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

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
    "Prediction",
    "PredictionRequest",
    "PredictionResponse",
    "Settings",
    "add_derived_features",
    "get_settings",
    "latest_partition",
    "partition_dir",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
