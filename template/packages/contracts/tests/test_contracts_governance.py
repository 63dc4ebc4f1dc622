"""forget-customer and retention: erasure from every zone, audit without personal data,
atomic rewrites that keep manifests and lineage valid, retention by partition date."""

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, governance, lineage, partition_dir
from contracts.cli import ExitCode
from contracts.lake import read_manifest, verify_partition, verify_upstream, write_dataset_partition
from contracts.lineage import UpstreamRef
from contracts.privacy import audit_subject, pseudonym, pseudonymisation_key
from contracts.storage import write_parquet_atomic

DAYS = (date(2024, 3, 1), date(2024, 3, 2))
TARGET = "C0000042"
Lake = Callable[[], None]


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("APP_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("APP_ENVIRONMENT", raising=False)
    return Settings()


def _customers(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ids,
            "tenure_months": range(len(ids)),
            "monthly_spend": [10.0 + i for i in range(len(ids))],
            "churned": [i % 2 == 0 for i in range(len(ids))],
        }
    )


@pytest.fixture()
def lake(settings: Settings) -> Settings:
    """Two days of raw batches holding TARGET, their features (pseudonyms, upstream digests)
    and quarantines (TARGET in the first, a row without id in both), as the pipeline writes."""
    key = pseudonymisation_key(settings)
    for number, day in enumerate(DAYS):
        ids = [f"C{number}{i:06d}" for i in range(30)] + [TARGET]
        raw_dir = partition_dir(settings.raw_dir, day)
        write_dataset_partition(
            _customers(ids), raw_dir, "part-0000.parquet", dataset="raw/customers", source="test"
        )
        _, digest = read_manifest(raw_dir)
        features = _customers(ids)
        features["customer_id"] = [pseudonym(value, key) for value in ids]
        write_dataset_partition(
            features,
            partition_dir(settings.features_dir, day),
            "features.parquet",
            dataset="features/customers",
            source="test",
            upstream=[
                UpstreamRef(dataset="raw/customers", partition=raw_dir.name, manifest_sha256=digest)
            ],
        )
        rejected = _customers([TARGET if number == 0 else "C7777777", None])  # type: ignore[list-item]
        write_parquet_atomic(
            rejected, partition_dir(settings.quarantine_dir, day) / "rejected.parquet"
        )
    return settings


def _parquet_values(root: Path) -> set[str]:
    values: set[str] = set()
    for path in root.rglob("*.parquet"):
        frame = pd.read_parquet(path)
        for column in frame.columns:
            values |= {str(value) for value in frame[column].tolist()}
    return values


def _bytes_containing(root: Path, needle: str) -> list[str]:
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and needle.encode() in path.read_bytes()
    ]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).parts[0] in ("raw", "features", "quarantine")
    }


def test_forget_customer_leaves_no_trace_of_the_id_or_its_pseudonym(lake: Settings) -> None:
    subject = pseudonym(TARGET, pseudonymisation_key(lake))
    assert {TARGET, subject} <= _parquet_values(lake.lake_dir), "the test must start with data"

    report = governance.forget_customer(lake, TARGET, requested_by="dpo@example.com")

    assert report.removed == {
        "raw/customers/ingestion_date=2024-03-01": 1,
        "raw/customers/ingestion_date=2024-03-02": 1,
        "features/customers/ingestion_date=2024-03-01": 1,
        "features/customers/ingestion_date=2024-03-02": 1,
        "quarantine/customers/ingestion_date=2024-03-01": 1,
    }
    values = _parquet_values(lake.lake_dir)
    assert TARGET not in values and subject not in values
    # Every byte of the lake: data, manifests, lineage events and the audit record.
    assert _bytes_containing(lake.lake_dir, TARGET) == []
    assert _bytes_containing(lake.lake_dir, subject) == []
    # The other customers are all still there.
    assert "C0000000" in values and "C1000029" in values and "C7777777" in values


def test_manifests_and_feature_upstreams_stay_valid(lake: Settings) -> None:
    governance.forget_customer(lake, TARGET, requested_by="dpo")

    for day in DAYS:
        raw = verify_partition(partition_dir(lake.raw_dir, day))
        assert raw.manifest.row_count == 30
        features = verify_partition(partition_dir(lake.features_dir, day))
        assert features.manifest.row_count == 30
        # Training's staleness check accepts the rewritten features: built from the new raw.
        verify_upstream(features, lake.lake_dir)


def test_the_audit_record_says_who_when_what_without_personal_data(lake: Settings) -> None:
    key = pseudonymisation_key(lake)

    report = governance.forget_customer(lake, TARGET, requested_by="dpo@example.com")

    assert report.audit_path is not None and report.audit_path.parent == lake.audit_dir
    text = report.audit_path.read_text()
    assert TARGET not in text and pseudonym(TARGET, key) not in text
    record = json.loads(text)
    assert record["requested_by"] == "dpo@example.com"
    assert record["performed_at"].startswith(str(date.today().year))
    assert record["rows_removed"] == report.removed
    # Whoever holds the key can confirm which customer was erased; nobody else can.
    assert record["subject_hmac_sha256"] == audit_subject(TARGET, key)
    assert record["subject_hmac_sha256"] != pseudonym(TARGET, key)


@pytest.mark.parametrize("unknown", ["C9999999", "*", "../raw", "C00000%", "' OR 1=1 --"])
def test_an_unknown_or_forged_id_removes_nothing(lake: Settings, unknown: str) -> None:
    before = _snapshot(lake.lake_dir)

    report = governance.forget_customer(lake, unknown, requested_by="dpo")

    assert report.removed == {}
    assert _snapshot(lake.lake_dir) == before
    assert report.audit_path is not None and report.audit_path.is_file()


@pytest.mark.parametrize("forged", ["", "x" * 65, "C1\nC2", "C1\x00"])
def test_an_id_the_contract_refuses_is_a_usage_error(
    lake: Settings, forged: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(lake.lake_dir)
    assert governance.forget_main([forged]) == ExitCode.USAGE
    assert "forget-customer: error: a customer id has 1-64 printable characters" in (
        capsys.readouterr().err
    )
    assert _snapshot(lake.lake_dir) == before
    assert not lake.audit_dir.exists()


def test_a_crash_mid_rewrite_keeps_the_old_partition(
    lake: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = partition_dir(lake.raw_dir, DAYS[0])
    before = _snapshot(lake.lake_dir)
    to_parquet = pd.DataFrame.to_parquet

    def crash(self: pd.DataFrame, path: Path, *args: object, **kwargs: object) -> None:
        to_parquet(self.head(3), path, *args, **kwargs)  # a partial file, then the crash
        raise OSError("node lost")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(OSError, match="node lost"):
        governance.forget_customer(lake, TARGET, requested_by="dpo")
    monkeypatch.undo()

    assert _snapshot(lake.lake_dir) == before, "the old partitions, whole"
    assert verify_partition(raw).manifest.row_count == 31
    assert not [path.name for path in raw.parent.iterdir() if path.name.startswith(".")]
    # Rerunning finishes the erasure.
    assert governance.forget_customer(lake, TARGET, requested_by="dpo").removed


def test_a_missing_key_outside_local_dev_is_one_line(
    lake: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.setenv("APP_API_KEY", "k" * 32)

    assert governance.forget_main([TARGET]) == ExitCode.USAGE

    assert capsys.readouterr().err.splitlines() == [
        "forget-customer: error: APP_PSEUDONYMISATION_KEY must be set when "
        "APP_ENVIRONMENT=production (a secret of 32+ random bytes from the secret manager)"
    ]


def test_other_stores_are_erased_through_the_seam(lake: Settings) -> None:
    calls: list[tuple[str, str]] = []

    class OnlineStore:
        name = "online-store"

        def erase(self, customer_id: str, pseudonym: str) -> int:
            calls.append((customer_id, pseudonym))
            return 2

    report = governance.forget_customer(lake, TARGET, requested_by="dpo", stores=[OnlineStore()])

    assert calls == [(TARGET, pseudonym(TARGET, pseudonymisation_key(lake)))]
    assert report.stores == {"online-store": 2}


def test_the_cli_prints_what_it_removed(lake: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert governance.forget_main([TARGET, "--requested-by", "ticket-123"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("removed 5 rows from 5 partitions; audit ")
    [audit] = lake.audit_dir.glob("*.json")
    assert json.loads(audit.read_text())["requested_by"] == "ticket-123"


def test_retention_deletes_exactly_the_partitions_past_each_zone_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_RETENTION_DAYS_RAW", "10")
    monkeypatch.setenv("APP_RETENTION_DAYS_QUARANTINE", "3")
    monkeypatch.setenv("APP_RETENTION_DAYS_FEATURES", "20")
    settings = Settings()
    today = date(2024, 6, 30)
    days = [date(2024, 6, day) for day in (1, 10, 19, 20, 26, 27, 30)]
    for root in (settings.raw_dir, settings.quarantine_dir, settings.features_dir):
        for day in days:
            write_parquet_atomic(_customers(["C1"]), partition_dir(root, day) / "part.parquet")

    assert governance.retention_main(["--today", "2024-06-30", "--dry-run"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3 + 5 + 1
    assert len(list(settings.raw_dir.iterdir())) == len(days), "a dry run deletes nothing"

    deleted = governance.apply_retention(settings, today)

    def kept(root: Path) -> list[int]:
        return sorted(int(path.name[-2:]) for path in root.iterdir())

    # Kept: the partitions of the last N days, the day N days ago included.
    assert kept(settings.raw_dir) == [20, 26, 27, 30]
    assert kept(settings.quarantine_dir) == [27, 30]
    assert kept(settings.features_dir) == [10, 19, 20, 26, 27, 30]
    assert len(deleted) == 3 + 5 + 1
    # The lineage says what was dropped.
    [[_, complete]] = lineage.job_runs(settings.lineage_dir, "retention")
    assert len(complete["outputs"]) == 9
    facets = [item["facets"]["lifecycleStateChange"] for item in complete["outputs"]]
    assert {facet["lifecycleStateChange"] for facet in facets} == {"DROP"}
