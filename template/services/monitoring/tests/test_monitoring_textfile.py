"""The Prometheus textfile is what the drift alert reads: it must parse and carry every feature."""

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.drift import DriftReport, FeatureDrift
from monitoring.textfile import render

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="(?:[^"\\]|\\.)*"\})? \S+$')


def _report() -> DriftReport:
    return DriftReport(
        reference_path="ref.parquet",
        current_path="cur.parquet",
        reference_rows=10,
        current_rows=10,
        threshold=0.2,
        bins=10,
        epsilon=1e-4,
        features=[
            FeatureDrift("monthly_spend", "numeric", 0.75, "drift"),
            FeatureDrift('odd"name', "categorical", 0.01, "ok"),
        ],
        generated_at=datetime(2026, 1, 2, tzinfo=UTC),
    )


def test_every_line_is_a_comment_or_a_valid_sample() -> None:
    text = render(_report())
    assert text.endswith("\n")
    for line in text.splitlines():
        assert line.startswith("# ") or SAMPLE.match(line), line


def test_gauges_carry_psi_threshold_and_time() -> None:
    text = render(_report())
    assert 'model_feature_drift_psi{feature="monthly_spend"} 0.75' in text
    assert 'model_feature_drift_psi{feature="odd\\"name"} 0.01' in text
    assert "model_feature_drift_threshold 0.2" in text
    assert "model_drift_report_timestamp_seconds 1767312000.0" in text
    assert text.count("# TYPE") == 3


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not on PATH")
def test_promtool_accepts_the_textfile(tmp_path: Path) -> None:
    path = tmp_path / "drift.prom"
    path.write_text(render(_report()))
    result = subprocess.run(
        ["promtool", "check", "metrics"],
        input=path.read_text(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
