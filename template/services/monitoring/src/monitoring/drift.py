"""Drift of a current feature batch against the champion's training features."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from contracts.cli import DataError
from contracts.lake import read_verified_table, verify_partition
from contracts.storage import LakePath, TableError, read_table
from monitoring.psi import DEFAULT_BINS, DEFAULT_EPSILON, categorical_psi, numeric_psi

Status = Literal["ok", "drift"]


class InputError(DataError):
    """Input the report cannot be computed from; the CLI turns it into exit code 3."""


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: Literal["numeric", "categorical"]
    psi: float
    status: Status


@dataclass(frozen=True)
class DriftReport:
    reference_path: str
    current_path: str
    reference_rows: int
    current_rows: int
    threshold: float
    bins: int
    epsilon: float
    features: list[FeatureDrift]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def drifted(self) -> list[str]:
        return [item.feature for item in self.features if item.status == "drift"]

    @property
    def status(self) -> Status:
        return "drift" if self.drifted else "ok"


def load_features(path: Path, columns: Sequence[str], role: str) -> pd.DataFrame:
    """Read ``columns`` of a parquet batch, failing with one line a user can act on."""
    try:
        frame = read_table(path, what=f"{role} features", columns=columns)
    except TableError as exc:
        raise InputError(str(exc)) from exc
    return _checked(frame, path, columns, role)


def load_verified_reference(path: Path, columns: Sequence[str], model_name: str) -> pd.DataFrame:
    """The drift reference training published for ``model_name``, only if it still matches
    its manifest (a tampered reference could hide drift); ``DataError`` otherwise.
    """
    if not path.parent.is_dir():
        raise InputError(
            f"no drift reference for model {model_name} at {path}: train and promote a model first"
        )
    verified = verify_partition(path.parent)
    frame = read_verified_table(verified, what="reference features", columns=columns)
    return _checked(frame, path, columns, "reference")


def _checked(frame: pd.DataFrame, path: Path, columns: Sequence[str], role: str) -> pd.DataFrame:
    if frame.empty:
        raise InputError(f"{role} features are empty: {path}")
    frame = frame.loc[:, list(columns)]
    numeric = frame.select_dtypes(include="number")
    bad = [str(name) for name in numeric.columns if not np.isfinite(numeric[name]).all()]
    if bad:
        raise InputError(f"{role} features have NaN or infinite values in {', '.join(bad)}: {path}")
    return frame


def compute_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    threshold: float,
    reference_path: LakePath,
    current_path: LakePath,
    bins: int = DEFAULT_BINS,
    epsilon: float = DEFAULT_EPSILON,
) -> DriftReport:
    """PSI of every feature; a feature drifts when its PSI exceeds ``threshold``."""
    for name in numeric:
        for role, frame in (("reference", reference), ("current", current)):
            if not pd.api.types.is_numeric_dtype(frame[name]):
                raise InputError(f"{role} feature {name} is not numeric ({frame[name].dtype})")
    results: list[FeatureDrift] = []
    for name in numeric:
        value = numeric_psi(reference[name], current[name], bins=bins, epsilon=epsilon)
        results.append(_judge(name, "numeric", value, threshold))
    for name in categorical:
        value = categorical_psi(reference[name], current[name], epsilon=epsilon)
        results.append(_judge(name, "categorical", value, threshold))
    return DriftReport(
        reference_path=str(reference_path),
        current_path=str(current_path),
        reference_rows=len(reference),
        current_rows=len(current),
        threshold=threshold,
        bins=bins,
        epsilon=epsilon,
        features=results,
    )


def _judge(
    name: str, kind: Literal["numeric", "categorical"], value: float, threshold: float
) -> FeatureDrift:
    return FeatureDrift(
        feature=name, kind=kind, psi=value, status="drift" if value > threshold else "ok"
    )
