"""Attacks on the training input: each must be refused in one line with the data-error code,
before any MLflow run or model version exists.
"""

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import LABEL_COLUMN, Settings, partition_dir
from contracts.cli import EXIT_CHECK_FAILED, EXIT_DATA_ERROR
from contracts.lake import MANIFEST_FILE, write_dataset_partition
from contracts.lineage import DatasetManifest
from training.__main__ import EXIT_GATE_FAILED, main

DAY = date(2024, 1, 2)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
    return Settings()


@pytest.fixture
def features(settings: Settings, good_features: pd.DataFrame, write_features) -> Path:
    return write_features(settings.features_dir, good_features, DAY)


def _refused(capsys: pytest.CaptureFixture[str], settings: Settings, message: str) -> None:
    assert main([]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("train: error: ") and message in err
    assert not (settings.data_dir / "mlflow").exists(), "nothing may be trained or registered"


def _rewrite_manifest(partition: Path, data: Path) -> None:
    """What an attacker with write access to the file, but not the pipeline, cannot do."""
    manifest = DatasetManifest.model_validate_json((partition / MANIFEST_FILE).read_text())
    manifest.sha256 = hashlib.sha256(data.read_bytes()).hexdigest()
    (partition / MANIFEST_FILE).write_text(manifest.model_dump_json())


def test_tampered_labels_fail_the_checksum(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_parquet(features)
    # Every customer gets another customer's label: same values, same dtype, wrong rows.
    frame[LABEL_COLUMN] = frame[LABEL_COLUMN].iloc[::-1].to_numpy()
    frame.to_parquet(features, index=False)
    _refused(capsys, settings, "checksum mismatch")


def test_features_of_a_replaced_raw_batch_are_stale(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = partition_dir(settings.raw_dir, DAY)
    replacement = pd.read_parquet(raw / "part-0000.parquet").head(50)
    write_dataset_partition(
        replacement, raw, "part-0000.parquet", dataset="raw/customers", source="replacement"
    )
    _refused(capsys, settings, "stale lineage")


def test_features_whose_raw_batch_vanished_are_stale(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (partition_dir(settings.raw_dir, DAY) / MANIFEST_FILE).unlink()
    _refused(capsys, settings, "stale lineage")


def test_features_without_a_manifest_are_refused(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (features.parent / MANIFEST_FILE).unlink()
    _refused(capsys, settings, "cannot verify the data")


def test_features_without_lineage_are_refused(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dataset_partition(
        pd.read_parquet(features),
        features.parent,
        features.name,
        dataset="features/customers",
        source="hand-made",
    )
    _refused(capsys, settings, "records no raw batch")


def test_corrupt_parquet_whose_manifest_matches_is_a_data_error(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    features.write_bytes(b"PAR1 not a parquet file, yet the manifest agrees PAR1")
    _rewrite_manifest(features.parent, features)
    _refused(capsys, settings, "feature table unreadable")


def test_infinite_feature_value_is_a_data_error(
    settings: Settings, features: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_parquet(features)
    frame.loc[7, "monthly_spend"] = float("inf")
    frame.to_parquet(features, index=False)
    _rewrite_manifest(features.parent, features)
    _refused(capsys, settings, "infinite values in monthly_spend")
    assert EXIT_DATA_ERROR != EXIT_GATE_FAILED == EXIT_CHECK_FAILED
