from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import (
    FEATURE_COLUMNS,
    DatasetManifest,
    Settings,
    add_derived_features,
    lineage,
    partition_dir,
)
from contracts.privacy import PseudonymisationKeyError, pseudonymisation_key, pseudonymise
from contracts.storage import sha256_file
from features import pipeline
from features.pipeline import OUTPUT_COLUMNS, InputError, build_features
from features.storage import IntegrityError

DAY = date(2024, 2, 1)
MakeCustomers = Callable[[int], pd.DataFrame]
WriteRaw = Callable[..., Path]


def _with_bad_rows(frame: pd.DataFrame, n_bad: int) -> pd.DataFrame:
    out = frame.copy()
    out.loc[: n_bad - 1, "monthly_spend"] = -1.0
    return out


def test_clean_batch_becomes_the_feature_table(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    raw = make_customers(50)
    write_raw(raw)

    report = build_features(settings, DAY)

    assert report.accepted
    assert (report.rows_in, report.rows_valid, report.rows_rejected) == (50, 50, 0)
    assert report.features_path == partition_dir(settings.features_dir, DAY) / "features.parquet"
    table = pd.read_parquet(report.features_path)
    assert tuple(table.columns) == OUTPUT_COLUMNS
    assert set(FEATURE_COLUMNS) <= set(table.columns)
    expected = add_derived_features(raw).loc[:, list(OUTPUT_COLUMNS)]
    # The ids are the keyed pseudonyms (HMAC-SHA256 with this checkout's key), never the ids.
    expected["customer_id"] = pseudonymise(raw["customer_id"], pseudonymisation_key(settings))
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    assert not set(table["customer_id"]) & set(raw["customer_id"])
    manifest = DatasetManifest.model_validate_json(
        (report.features_path.parent / "_manifest.json").read_text()
    )
    assert manifest.sha256 == sha256_file(report.features_path)
    assert manifest.row_count == 50
    # An empty quarantine file replaces any stale one from an earlier run of the same day.
    assert pd.read_parquet(report.quarantine_path).empty


def test_bad_rows_are_quarantined_not_dropped(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    write_raw(_with_bad_rows(make_customers(100), 3))

    report = build_features(settings, DAY)

    assert report.accepted
    rejected = pd.read_parquet(partition_dir(settings.quarantine_dir, DAY) / "rejected.parquet")
    assert rejected["customer_id"].tolist() == ["C0000", "C0001", "C0002"]
    assert set(rejected["reason"]) == {"monthly_spend: greater_than_or_equal_to(0)"}
    assert len(pd.read_parquet(report.features_path)) == 97


def test_too_many_rejects_fails_keeps_quarantine_and_drops_stale_features(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    write_raw(make_customers(100))
    assert build_features(settings, DAY).features_path is not None
    write_raw(_with_bad_rows(make_customers(100), 6))

    report = build_features(settings, DAY, max_reject_fraction=0.05)

    assert not report.accepted
    assert report.features_path is None
    assert len(pd.read_parquet(report.quarantine_path)) == 6
    assert not partition_dir(settings.features_dir, DAY).exists()
    assert build_features(settings, DAY, max_reject_fraction=0.06).accepted


def test_tampered_raw_file_is_refused_before_anything_is_written(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    partition = write_raw(make_customers(20))
    make_customers(21).to_parquet(partition / "part-0000.parquet", index=False)

    with pytest.raises(IntegrityError, match="checksum mismatch"):
        build_features(settings, DAY)
    assert not settings.quarantine_dir.exists()
    assert not settings.features_dir.exists()


def test_missing_manifest_or_partition_is_an_input_error(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    with pytest.raises(InputError, match="run ingestion first"):
        build_features(settings)
    with pytest.raises(InputError, match="2024-02-01"):
        build_features(settings, DAY)
    partition = write_raw(make_customers(20))
    (partition / "_manifest.json").unlink()
    with pytest.raises(IntegrityError, match="cannot verify"):
        build_features(settings, DAY)


def test_newest_partition_is_the_default(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    write_raw(make_customers(20), date(2024, 1, 31))
    write_raw(make_customers(30), date(2024, 2, 2))

    report = build_features(settings)

    assert report.day == date(2024, 2, 2)
    assert report.rows_in == 30


def test_every_run_emits_openlineage_events(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    raw_partition = write_raw(_with_bad_rows(make_customers(20), 10))

    report = build_features(settings, DAY)

    [[start, complete]] = lineage.job_runs(settings.lineage_dir, "features")
    assert complete["run"]["runId"] == report.lineage_run_id
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    namespace = lineage.lake_namespace(settings.lake_dir)
    [raw_input] = complete["inputs"]
    assert (raw_input["namespace"], raw_input["name"]) == (
        namespace,
        raw_partition.relative_to(settings.lake_dir).as_posix(),
    )
    assert raw_input["facets"]["schema"]["fields"][0]["name"] == "customer_id"
    [quarantine] = complete["outputs"]
    assert quarantine["name"] == report.quarantine_path.relative_to(settings.lake_dir).as_posix()
    assert quarantine["outputFacets"]["outputStatistics"]["rowCount"] == 10
    parameters = {
        item["key"]: item["value"]
        for item in complete["run"]["facets"]["executionParameters"]["parameters"]
    }
    assert parameters["code_version"] == "test-sha"
    assert (parameters["rows_rejected"], parameters["accepted"]) == ("10", "false")

    second = build_features(settings, DAY, max_reject_fraction=1.0)
    assert second.lineage_run_id != report.lineage_run_id
    [_, [_, second_complete]] = lineage.job_runs(settings.lineage_dir, "features")
    features = second_complete["outputs"][-1]
    assert features["name"] == second.features_path.parent.relative_to(settings.lake_dir).as_posix()
    schema = [field["name"] for field in features["facets"]["schema"]["fields"]]
    assert schema == list(OUTPUT_COLUMNS)
    assert features["outputFacets"]["outputStatistics"]["rowCount"] == 10


def test_a_failing_run_emits_fail(
    settings: Settings,
    make_customers: MakeCustomers,
    write_raw: WriteRaw,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_raw(make_customers(20))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "write_partition_file", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build_features(settings, DAY)

    [[start, fail]] = lineage.job_runs(settings.lineage_dir, "features")
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert fail["run"]["facets"]["errorMessage"]["message"] == "RuntimeError: disk on fire"
    assert fail["run"]["facets"]["errorMessage"]["programmingLanguage"] == "python"


def test_without_a_key_outside_local_dev_nothing_is_written(
    settings: Settings,
    make_customers: MakeCustomers,
    write_raw: WriteRaw,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_raw(make_customers(20))
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.setenv("APP_API_KEY", "k" * 32)

    with pytest.raises(PseudonymisationKeyError, match="APP_PSEUDONYMISATION_KEY must be set"):
        build_features(Settings(), DAY)

    assert not settings.features_dir.exists()
    assert not settings.quarantine_dir.exists()
