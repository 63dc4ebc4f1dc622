import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, lineage, partition_dir
from contracts.cli import EXIT_CHECK_FAILED, EXIT_DATA_ERROR
from contracts.lake import MANIFEST_FILE
from contracts.lineage import DatasetManifest
from features.__main__ import EXIT_TOO_MANY_REJECTS, main

MakeCustomers = Callable[[int], pd.DataFrame]
WriteRaw = Callable[..., Path]


def test_main_builds_features_and_prints_the_file(
    settings: Settings,
    make_customers: MakeCustomers,
    write_raw: WriteRaw,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_raw(make_customers(30), date(2024, 3, 4))

    assert main([]) == 0

    expected = partition_dir(settings.features_dir, date(2024, 3, 4)) / "features.parquet"
    assert capsys.readouterr().out.strip() == str(expected)
    assert len(pd.read_parquet(expected)) == 30
    assert len(lineage.job_runs(settings.lineage_dir, "features")) == 1


def test_main_exits_1_when_the_batch_is_too_broken(
    settings: Settings, make_customers: MakeCustomers, write_raw: WriteRaw
) -> None:
    raw = make_customers(20)
    raw.loc[:1, "channel"] = "fax"
    write_raw(raw, date(2024, 3, 4))

    assert main(["--date", "2024-03-04"]) == 1
    assert (partition_dir(settings.quarantine_dir, date(2024, 3, 4)) / "rejected.parquet").exists()
    assert main(["--date", "2024-03-04", "--max-reject-fraction", "0.1"]) == 0


def test_main_exits_3_on_unusable_input(
    settings: Settings,
    make_customers: MakeCustomers,
    write_raw: WriteRaw,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == EXIT_DATA_ERROR
    assert "build-features: error: no ingestion_date=*" in capsys.readouterr().err
    partition = write_raw(make_customers(20), date(2024, 3, 4))
    (partition / "part-0000.parquet").write_bytes(b"not what the manifest describes")
    assert main(["--date", "2024-03-04"]) == EXIT_DATA_ERROR
    assert "build-features: error: checksum mismatch" in capsys.readouterr().err
    assert main(["--date", "2024-03-05"]) == EXIT_DATA_ERROR
    assert "no raw partition for 2024-03-05" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--date", "yesterday"], ["--max-reject-fraction", "1.5"]])
def test_main_rejects_invalid_arguments(settings: Settings, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_corrupt_parquet_whose_manifest_matches_is_a_data_error_in_one_line(
    settings: Settings,
    make_customers: MakeCustomers,
    write_raw: WriteRaw,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partition = write_raw(make_customers(20), date(2024, 3, 4))
    data = partition / "part-0000.parquet"
    data.write_bytes(b"PAR1 garbage, but the manifest will agree PAR1")
    manifest = DatasetManifest.model_validate_json((partition / MANIFEST_FILE).read_text())
    manifest.sha256 = hashlib.sha256(data.read_bytes()).hexdigest()
    (partition / MANIFEST_FILE).write_text(manifest.model_dump_json())

    assert main([]) == EXIT_DATA_ERROR
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("build-features: error: raw batch unreadable")
    assert EXIT_DATA_ERROR != EXIT_TOO_MANY_REJECTS == EXIT_CHECK_FAILED
