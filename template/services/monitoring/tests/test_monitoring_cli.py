"""The drift-report command as a user and the Makefile/CI run it."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import FEATURE_COLUMNS, Settings, get_settings, lineage, partition_dir
from contracts.cli import EXIT_DATA_ERROR
from monitoring.__main__ import main

MakeFeatures = Callable[..., pd.DataFrame]
WriteParquet = Callable[[pd.DataFrame, Path], Path]
WriteReference = Callable[[pd.DataFrame], Path]
SeedLake = Callable[..., Path]


@pytest.fixture()
def seed_lake(
    settings: Settings,
    make_features: MakeFeatures,
    write_parquet: WriteParquet,
    write_reference: WriteReference,
) -> SeedLake:
    """Writes a reference and two feature partitions; returns the newest one's path."""

    def seed(current_shift: float = 0.0) -> Path:
        write_reference(make_features(seed=1))
        current = partition_dir(settings.features_dir, date(2026, 1, 2)) / "features.parquet"
        # An older partition must be ignored: the report compares the newest batch.
        old = partition_dir(settings.features_dir, date(2026, 1, 1)) / "features.parquet"
        write_parquet(make_features(seed=9, shift=1.0), old)
        return write_parquet(make_features(seed=2, shift=current_shift), current)

    return seed


def _report(settings: Settings) -> dict:
    return json.loads((settings.reports_dir / "drift" / "drift_report.json").read_text())


def test_same_distribution_exits_zero_and_writes_reports(
    settings: Settings, seed_lake: SeedLake, capsys: pytest.CaptureFixture[str]
) -> None:
    current = seed_lake()

    assert main([]) == 0

    report = _report(settings)
    assert report["status"] == "ok"
    assert report["drifted_features"] == []
    assert report["threshold"] == settings.drift_threshold
    assert report["current"] == {"path": str(current), "rows": 2_000}
    assert report["reference"]["rows"] == 2_000
    assert {item["feature"] for item in report["features"]} == set(FEATURE_COLUMNS)
    assert all(item["psi"] < settings.drift_threshold for item in report["features"])
    markdown = (settings.reports_dir / "drift" / "drift_report.md").read_text()
    assert "| monthly_spend | numeric |" in markdown
    assert "No feature drifted" in markdown
    assert "no drift" in capsys.readouterr().out


def test_identical_batches_score_zero(
    settings: Settings, make_features: MakeFeatures, write_reference: WriteReference
) -> None:
    path = write_reference(make_features(seed=1))

    assert main(["--current", str(path)]) == 0

    assert all(item["psi"] == pytest.approx(0.0) for item in _report(settings)["features"])


def test_shifted_batch_exits_one_and_names_the_features(
    settings: Settings, seed_lake: SeedLake, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_lake(1.0)

    assert main([]) == 1

    out = capsys.readouterr().out
    assert "monthly_spend" in out
    assert "channel" in out
    report = _report(settings)
    assert report["status"] == "drift"
    assert {"monthly_spend", "channel"} <= set(report["drifted_features"])
    assert "region" not in report["drifted_features"]
    assert "**Drift detected**" in (settings.reports_dir / "drift" / "drift_report.md").read_text()


def test_threshold_flag_overrides_settings(settings: Settings, seed_lake: SeedLake) -> None:
    seed_lake(1.0)

    assert main(["--threshold", "1000"]) == 0
    assert _report(settings)["threshold"] == 1000


def test_threshold_comes_from_the_environment(
    settings: Settings, seed_lake: SeedLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_lake()
    monkeypatch.setenv("APP_DRIFT_THRESHOLD", "0.000001")
    get_settings.cache_clear()

    assert main([]) == 1


def test_missing_reference_exits_with_a_data_error_in_one_line(
    settings: Settings,
    make_features: MakeFeatures,
    write_parquet: WriteParquet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    current = partition_dir(settings.features_dir, date(2026, 1, 2)) / "features.parquet"
    write_parquet(make_features(), current)

    assert main([]) == EXIT_DATA_ERROR

    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"no drift reference for model {settings.model_name}" in err
    assert str(settings.reference_path) in err


@pytest.fixture()
def reference(make_features: MakeFeatures, write_reference: WriteReference) -> Path:
    """The champion's reference features alone, without any feature partition."""
    return write_reference(make_features())


def test_missing_feature_partitions_are_a_data_error(
    settings: Settings, reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == EXIT_DATA_ERROR
    assert "run build-features first" in capsys.readouterr().err
    # The failed run is in the lineage as such: START, then FAIL with the reason.
    [[start, fail]] = lineage.job_runs(settings.lineage_dir, "drift")
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert "run build-features first" in fail["run"]["facets"]["errorMessage"]["message"]
    assert fail["outputs"] == []


def test_missing_columns_are_a_data_error(
    settings: Settings,
    reference: Path,
    make_features: MakeFeatures,
    write_parquet: WriteParquet,
    capsys: pytest.CaptureFixture[str],
) -> None:
    current = write_parquet(
        make_features().drop(columns=["region"]), settings.data_dir / "batch.parquet"
    )

    assert main(["--current", str(current)]) == EXIT_DATA_ERROR
    assert "current features: missing columns region" in capsys.readouterr().err


def test_textfile_is_written_in_node_exporter_format(
    settings: Settings, seed_lake: SeedLake
) -> None:
    seed_lake(1.0)
    textfile = settings.data_dir / "textfile" / "drift.prom"

    assert main(["--textfile", str(textfile)]) == 1

    text = textfile.read_text()
    assert "# TYPE model_feature_drift_psi gauge" in text
    assert 'model_feature_drift_psi{feature="monthly_spend"}' in text
    assert f"model_feature_drift_threshold {settings.drift_threshold!r}" in text
    assert oct(textfile.stat().st_mode & 0o777) == "0o644"
    assert not list(textfile.parent.glob(".*")), "temporary files must not be left behind"


def test_every_report_emits_openlineage_events(
    settings: Settings, seed_lake: SeedLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_CODE_VERSION", "test-sha")
    current = seed_lake(1.0)
    textfile = settings.data_dir / "textfile" / "drift.prom"

    assert main(["--textfile", str(textfile)]) == 1

    [[start, complete]] = lineage.job_runs(settings.lineage_dir, "drift")
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    namespace = lineage.lake_namespace(settings.lake_dir)
    assert [(item["namespace"], item["name"]) for item in complete["inputs"]] == [
        (namespace, settings.reference_path.parent.relative_to(settings.lake_dir).as_posix()),
        (namespace, current.parent.relative_to(settings.lake_dir).as_posix()),
    ]
    for item in complete["inputs"]:
        schema = [field["name"] for field in item["facets"]["schema"]["fields"]]
        assert schema == list(FEATURE_COLUMNS)
    drift_dir = settings.reports_dir / "drift"
    assert [item["name"] for item in complete["outputs"]] == [
        (drift_dir / "drift_report.json").resolve().as_posix(),
        (drift_dir / "drift_report.md").resolve().as_posix(),
        textfile.resolve().as_posix(),
    ]
    parameters = {
        item["key"]: item["value"]
        for item in complete["run"]["facets"]["executionParameters"]["parameters"]
    }
    assert parameters["code_version"] == "test-sha"
    assert parameters["status"] == "drift"
    assert "monthly_spend" in parameters["drifted_features"].split(",")
    assert float(parameters["psi.monthly_spend"]) == pytest.approx(
        next(
            item["psi"]
            for item in _report(settings)["features"]
            if item["feature"] == "monthly_spend"
        ),
        abs=1e-6,
    )
    assert start["eventTime"] <= complete["eventTime"]


def test_help_works(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--textfile" in capsys.readouterr().out


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_current_values_are_a_data_error_in_one_line(
    settings: Settings,
    reference: Path,
    make_features: MakeFeatures,
    write_parquet: WriteParquet,
    capsys: pytest.CaptureFixture[str],
    value: float,
) -> None:
    frame = make_features()
    frame.loc[3, "monthly_spend"] = value
    current = write_parquet(frame, settings.data_dir / "batch.parquet")

    assert main(["--current", str(current)]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"drift-report: error: current features have NaN or infinite values in monthly_spend: "
        f"{current}"
    ]


def test_corrupt_current_parquet_is_a_data_error_in_one_line(
    settings: Settings, reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = settings.data_dir / "batch.parquet"
    current.write_bytes(b"PAR1 definitely not a parquet file PAR1")

    assert main(["--current", str(current)]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "current features unreadable" in err


def test_tampered_reference_is_refused(
    settings: Settings, seed_lake: SeedLake, capsys: pytest.CaptureFixture[str]
) -> None:
    # Someone rewrites the baseline to look like today's batch, hiding the drift.
    current = seed_lake(1.0)
    current.parent.joinpath("features.parquet").replace(settings.reference_path)

    assert main([]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "checksum mismatch" in err


def test_each_model_reads_its_own_reference(
    settings: Settings,
    seed_lake: SeedLake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_lake()
    monkeypatch.setenv("APP_MODEL_NAME", "another-model")
    get_settings.cache_clear()

    assert main([]) == EXIT_DATA_ERROR
    assert "no drift reference for model another-model" in capsys.readouterr().err
