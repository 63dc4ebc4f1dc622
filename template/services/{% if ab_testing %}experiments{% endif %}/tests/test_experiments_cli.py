"""The command line end to end on a temporary lake: simulate, replay, analyse, size."""

import json

import pytest

from contracts import Settings
from contracts.experiment_log import read_events
from experiments.__main__ import main


def _snapshot(settings: Settings) -> dict[str, bytes]:
    root = settings.experiments_dir
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "_manifest.json"
    }


def test_simulate_then_analyse_writes_a_report(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--customers", "20000", "--seed", "5"]) == 0
    assert main(["analyse"]) == 0
    report = json.loads(
        (settings.reports_dir / "experiments" / "churn-model" / "report.json").read_text()
    )
    assert report["verdict"] == "treatment_better"
    assert report["sample_ratio_mismatch"]["passed"] is True
    markdown = (settings.reports_dir / "experiments" / "churn-model" / "report.md").read_text()
    assert "**Verdict: treatment_better**" in markdown
    assert "verdict treatment_better" in capsys.readouterr().out


def test_replaying_the_same_events_changes_nothing(settings: Settings) -> None:
    assert main(["simulate", "--customers", "2000", "--seed", "9"]) == 0
    before = _snapshot(settings)
    exposures = read_events(settings.experiments_dir, "exposures", "churn-model")
    assert main(["simulate", "--customers", "2000", "--seed", "9"]) == 0
    assert _snapshot(settings) == before
    again = read_events(settings.experiments_dir, "exposures", "churn-model")
    assert len(again) == len(exposures) == 2000


def test_a_tampered_event_batch_is_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--customers", "500", "--seed", "1"]) == 0
    batch = next(settings.experiments_dir.glob("exposures/churn-model/*/batch-*/events.parquet"))
    batch.write_bytes(batch.read_bytes()[:-10] + b"0123456789")
    assert main(["analyse"]) == 3
    assert "checksum mismatch" in capsys.readouterr().err


def test_an_invalid_definition_is_a_one_line_usage_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings.experiments_definitions_dir / "churn-model.yaml"
    path.write_text(
        path.read_text().replace(
            "weight: 0.5, parameters: {model_alias: champion}",
            "weight: 0.7, parameters: {model_alias: champion}",
        )
    )
    assert main(["validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "weights must sum to 1" in err


def test_analyse_without_events_is_a_data_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyse"]) == 3
    assert "no exposures" in capsys.readouterr().err


def test_sample_size_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample-size", "--baseline", "0.5", "--mde", "0.1"]) == 0
    assert capsys.readouterr().out.startswith("388 customers per variant")
    assert main(["sample-size", "--sd", "1", "--per-variant", "63"]) == 0
    assert "minimum detectable effect 0.49" in capsys.readouterr().out
    assert main(["sample-size", "--baseline", "0.5"]) == 2
