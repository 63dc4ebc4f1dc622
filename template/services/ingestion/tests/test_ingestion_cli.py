from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from contracts import DatasetManifest, Settings, lineage, partition_dir
from contracts.cli import EXIT_DATA_ERROR
from contracts.lake import MANIFEST_FILE
from ingestion.__main__ import main
from ingestion.lake import DATA_FILE


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_N_ROWS", "400")
    return Settings()


def test_main_writes_the_dated_partition_and_prints_it(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--date", "2024-05-06", "--seed", "9", "--invalid-fraction", "0.05"]) == 0

    partition = partition_dir(settings.raw_dir, datetime(2024, 5, 6, tzinfo=UTC).date())
    assert capsys.readouterr().out.strip() == str(partition)
    frame = pd.read_parquet(partition / DATA_FILE)
    assert len(frame) == 400
    assert not frame["channel"].isin(["web", "mobile", "store", "partner"]).all()
    manifest = DatasetManifest.model_validate_json((partition / MANIFEST_FILE).read_text())
    assert manifest.row_count == 400
    assert "seed=9" in manifest.source


def test_main_defaults_to_today_utc(settings: Settings) -> None:
    assert main([]) == 0
    today = datetime.now(UTC).date()
    assert (partition_dir(settings.raw_dir, today) / DATA_FILE).is_file()


def test_main_ingests_a_source_file(settings: Settings, tmp_path: Path) -> None:
    assert main(["--date", "2024-01-01", "--rows", "150", "--invalid-fraction", "0"]) == 0
    raw = partition_dir(settings.raw_dir, datetime(2024, 1, 1, tzinfo=UTC).date()) / DATA_FILE
    extract = tmp_path / "extract.csv"
    pd.read_parquet(raw).to_csv(extract, index=False)

    assert main(["--date", "2024-01-02", "--source", str(extract)]) == 0

    copied = partition_dir(settings.raw_dir, datetime(2024, 1, 2, tzinfo=UTC).date())
    pd.testing.assert_frame_equal(pd.read_parquet(copied / DATA_FILE), pd.read_parquet(raw))


def test_main_reports_bad_sources_without_a_traceback(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--source", str(tmp_path / "customers.json")]) == 2
    assert main(["--source", str(tmp_path / "missing.csv")]) == 2
    unsupported, missing = capsys.readouterr().err.strip().splitlines()
    assert unsupported.startswith("ingest: error: cannot ingest: unsupported file type")
    assert missing.startswith("ingest: error: cannot ingest: source file not found")
    assert not settings.raw_dir.exists()


def test_main_reports_invalid_settings_in_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_N_ROWS", "5")

    assert main([]) == 2

    err = capsys.readouterr().err.strip()
    assert err.startswith("ingest: error: invalid configuration: APP_N_ROWS:")
    assert len(err.splitlines()) == 1
    assert not settings.raw_dir.exists()


@pytest.mark.parametrize(
    "argv", [["--date", "2024-13-01"], ["--drift", "2"], ["--rows", "0"], ["--seed", "x"]]
)
def test_main_rejects_invalid_arguments(settings: Settings, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_corrupt_source_is_a_data_error_and_lineage_records_the_failure(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt = tmp_path / "extract.parquet"
    corrupt.write_bytes(b"PAR1 not really parquet PAR1")
    assert main(["--source", str(corrupt)]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"ingest: error: cannot ingest file({corrupt})")
    [[start, fail]] = lineage.job_runs(settings.lineage_dir, "ingestion")
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert [item["name"] for item in fail["inputs"]] == [corrupt.resolve().as_posix()]
    assert fail["inputs"][0]["namespace"] == "file"
    assert fail["outputs"] == []
    assert fail["run"]["facets"]["errorMessage"]["message"].startswith("DataError: cannot ingest")

    assert main(["--date", "2024-05-06"]) == 0
    [_, [start, complete]] = lineage.job_runs(settings.lineage_dir, "ingestion")
    partition = partition_dir(settings.raw_dir, datetime(2024, 5, 6, tzinfo=UTC).date())
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert complete["inputs"] == [], "synthetic data has no input dataset"
    [output] = complete["outputs"]
    assert output["namespace"] == lineage.lake_namespace(settings.lake_dir)
    assert output["name"] == "raw/customers/ingestion_date=2024-05-06"
    manifest = DatasetManifest.model_validate_json((partition / MANIFEST_FILE).read_text())
    schema = {field["name"]: field["type"] for field in output["facets"]["schema"]["fields"]}
    assert schema == manifest.columns
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == manifest.row_count == 400
