"""Killed builds: SIGTERM cleans up on the way out; leftovers of a SIGKILL are cleaned on start."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, partition_dir
from contracts.cli import ExitCode
from features.__main__ import main

DAY = date(2024, 3, 4)
# Runs build-features with the features file write paused, so a test can kill it mid-write:
# the staging folder exists, the old partition is still in place.
_PAUSED_BUILD = """
import sys, time
from pathlib import Path
import contracts.lake as lake

original = lake.sha256_file

def slow(path):
    if path.name == "features.parquet":
        Path(sys.argv[1]).touch()
        time.sleep(60)
    return original(path)

lake.sha256_file = slow
from features.__main__ import main
sys.exit(main([]))
"""


def _hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def _start_paused_build(tmp_path: Path, settings: Settings) -> tuple[subprocess.Popen[str], Path]:
    ready = tmp_path / "ready"
    env = {**os.environ, "APP_DATA_DIR": str(settings.data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_BUILD, str(ready)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Generous: with processing=spark the child starts a JVM first, slow on a busy CI runner.
    deadline = time.monotonic() + 300
    while not ready.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the build never reached the features write"
        time.sleep(0.05)
    return process, partition_dir(settings.features_dir, DAY)


@pytest.fixture
def built(settings: Settings, make_customers, write_raw) -> pd.DataFrame:
    """A first, complete build: the partition a killed rebuild must leave intact."""
    write_raw(make_customers(40), DAY)
    assert main([]) == 0
    return pd.read_parquet(partition_dir(settings.features_dir, DAY) / "features.parquet")


def test_sigterm_mid_write_removes_staging_and_keeps_the_old_partition(
    tmp_path: Path, settings: Settings, built: pd.DataFrame
) -> None:
    process, partition = _start_paused_build(tmp_path, settings)
    assert any(name.startswith(".staging-") for name in _hidden(settings.features_dir))

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)

    assert process.returncode == ExitCode.TERMINATED
    assert err.strip().splitlines()[-1].startswith("build-features: error: terminated by SIGTERM")
    assert "Traceback" not in err
    assert _hidden(settings.features_dir) == []
    pd.testing.assert_frame_equal(pd.read_parquet(partition / "features.parquet"), built)


def test_sigkill_leftovers_are_cleaned_on_the_next_start(
    tmp_path: Path, settings: Settings, built: pd.DataFrame
) -> None:
    process, _ = _start_paused_build(tmp_path, settings)
    process.kill()
    process.communicate(timeout=60)
    assert any(name.startswith(".staging-") for name in _hidden(settings.features_dir))

    assert main([]) == 0
    assert _hidden(settings.features_dir) == []


def test_a_partition_retired_by_a_killed_swap_is_restored(
    settings: Settings, built: pd.DataFrame
) -> None:
    # Killed between the two renames of the swap: the old folder is retired, no new one arrived.
    partition = partition_dir(settings.features_dir, DAY)
    retired = partition.with_name(f".retired-{partition.name}-{'0' * 32}")
    partition.rename(retired)

    from contracts.lake import clean_leftovers

    assert clean_leftovers(settings.features_dir) == [retired]
    pd.testing.assert_frame_equal(pd.read_parquet(partition / "features.parquet"), built)
