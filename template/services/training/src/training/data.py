"""Load and check the feature table, then split it for training and evaluation."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from contracts import FEATURE_COLUMNS, LABEL_COLUMN, NUMERIC_FEATURES, latest_partition
from contracts.lake import read_verified_table, verify_partition, verify_upstream
from contracts.lineage import UpstreamRef
from contracts.storage import LakePath, TableError, read_table
from training.errors import TrainingInputError
from training.model import checked_label, stratify_by

FEATURES_FILE = "features.parquet"


@dataclass(frozen=True)
class Dataset:
    """The loaded feature table plus where it came from, for tags and the drift reference."""

    frame: pd.DataFrame
    path: LakePath
    # Set when the table was verified against its manifest (``load_verified_dataset``).
    upstream: UpstreamRef | None = None


@dataclass(frozen=True)
class Split:
    x_train: pd.DataFrame
    x_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series


def resolve_features_path(features_dir: LakePath, override: LakePath | None) -> LakePath:
    """The parquet file to train on: ``override`` (file or partition folder) or the newest one."""
    if override is not None:
        return override / FEATURES_FILE if override.is_dir() else override
    try:
        return latest_partition(features_dir) / FEATURES_FILE
    except FileNotFoundError as exc:
        raise TrainingInputError(
            f"no feature partition under {features_dir}; run the features step first"
        ) from exc


def load_verified_dataset(path: LakePath, lake_dir: LakePath) -> Dataset:
    """The feature table at ``path``, only if it is exactly what the features job wrote (its
    manifest's sha256) from the raw batch that is current now (the raw manifest's sha256 the
    features manifest records); ``contracts.lake.IntegrityError`` (exit code 3) otherwise.
    """
    verified = verify_partition(path.parent)
    if verified.data_path.name != path.name:
        raise TrainingInputError(
            f"{path} is not the file its partition's manifest describes ({verified.data_path.name})"
        )
    if not verified.manifest.upstream:
        raise TrainingInputError(f"{verified.partition} records no raw batch: lineage unknown")
    verify_upstream(verified, lake_dir)
    frame = read_verified_table(
        verified, what="feature table", columns=[*FEATURE_COLUMNS, LABEL_COLUMN]
    )
    return _checked(frame, path, upstream=verified.upstream_ref())


def load_dataset(path: LakePath) -> Dataset:
    """Read a feature table (no manifest check) and refuse anything a model could silently
    learn garbage from.
    """
    try:
        frame = read_table(path, what="feature table", columns=[*FEATURE_COLUMNS, LABEL_COLUMN])
    except TableError as exc:
        raise TrainingInputError(str(exc)) from exc
    return _checked(frame, path)


def _checked(frame: pd.DataFrame, path: LakePath, upstream: UpstreamRef | None = None) -> Dataset:
    required = [*FEATURE_COLUMNS, LABEL_COLUMN]
    incomplete = [column for column in required if frame[column].isna().any()]
    if incomplete:
        raise TrainingInputError(
            f"feature table has missing values in {', '.join(incomplete)}: {path}"
        )
    not_numeric = [
        column for column in NUMERIC_FEATURES if not pd.api.types.is_numeric_dtype(frame[column])
    ]
    if not_numeric:
        raise TrainingInputError(
            f"feature table has non-numeric values in {', '.join(not_numeric)}: {path}"
        )
    non_finite = [
        column
        for column in NUMERIC_FEATURES
        if not np.isfinite(frame[column].to_numpy(dtype=float)).all()
    ]
    if non_finite:
        raise TrainingInputError(
            f"feature table has infinite values in {', '.join(non_finite)}: {path}"
        )

    frame = frame.assign(**{LABEL_COLUMN: checked_label(frame[LABEL_COLUMN], path)})
    return Dataset(frame=frame.reset_index(drop=True), path=path, upstream=upstream)


def model_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the columns the model sees, numerics as float32: the values its ONNX export
    receives in serving, so both answer alike (and the MLflow signature is stable)."""
    features = frame.loc[:, list(FEATURE_COLUMNS)].copy()
    return features.astype(dict.fromkeys(NUMERIC_FEATURES, "float32"))


def split_dataset(dataset: Dataset, *, test_size: float, seed: int) -> Split:
    """Seeded split (stratified where the use case's label has classes) so reruns on the same
    data give the same metrics."""
    x_train, x_test, y_train, y_test = train_test_split(
        model_input(dataset.frame),
        dataset.frame[LABEL_COLUMN],
        test_size=test_size,
        random_state=seed,
        stratify=stratify_by(dataset.frame[LABEL_COLUMN]),
    )
    return Split(x_train=x_train, x_test=x_test, y_train=y_train, y_test=y_test)
