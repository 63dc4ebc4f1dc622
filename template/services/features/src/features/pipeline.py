"""One run of the features step: verify, validate, quarantine, pseudonymise, derive, lineage."""

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from contracts import (
    PARTITION_KEY,
    Settings,
    latest_partition,
    lineage,
    partition_dir,
)
from contracts.cli import DataError
from contracts.lake import clean_leftovers, parquet_columns, write_partition_file
from contracts.lineage import UpstreamRef
from contracts.privacy import pseudonymisation_key
from contracts.storage import remove_dir_atomic, write_atomic
from features.engine import ENGINE
from features.port import OUTPUT_COLUMNS
from features.storage import read_verified_partition

logger = logging.getLogger(__name__)

JOB = "features"
FEATURES_DATASET = "features/customers"
FEATURES_FILE = "features.parquet"
REJECTED_FILE = "rejected.parquet"
__all__ = ["OUTPUT_COLUMNS", "InputError", "RunReport", "build_features"]


class InputError(DataError):
    """The raw input cannot be used at all: missing partition or empty batch (exit code 3)."""


@dataclass(frozen=True)
class RunReport:
    """What a run did; ``accepted`` is False when too many rows were rejected."""

    day: date
    rows_in: int
    rows_valid: int
    rows_rejected: int
    accepted: bool
    quarantine_path: Path
    features_path: Path | None
    # The OpenLineage run id of this run's events (``lineage/<run id>.jsonl`` by default).
    lineage_run_id: str

    @property
    def rejected_fraction(self) -> float:
        return self.rows_rejected / self.rows_in if self.rows_in else 0.0


def resolve_partition(raw_dir: Path, day: date | None) -> tuple[date, Path]:
    """The raw partition of ``day``, or the newest one when ``day`` is None."""
    if day is None:
        try:
            partition = latest_partition(raw_dir)
        except FileNotFoundError as exc:
            raise InputError(f"{exc}; run ingestion first") from exc
        return date.fromisoformat(partition.name.removeprefix(f"{PARTITION_KEY}=")), partition
    partition = partition_dir(raw_dir, day)
    if not partition.is_dir():
        raise InputError(f"no raw partition for {day.isoformat()} at {partition}")
    return day, partition


def build_features(
    settings: Settings, day: date | None = None, max_reject_fraction: float = 0.05
) -> RunReport:
    """Turn one raw partition into the feature table, quarantining every invalid row.

    Raises ``InputError`` or ``storage.IntegrityError`` before writing anything when the input
    is unusable. When more than ``max_reject_fraction`` of the rows fail, the quarantine is
    still written (for inspection) but the feature table of that day is removed rather than
    left stale: downstream steps must not train on data that no longer matches the raw batch.
    """
    if not 0.0 <= max_reject_fraction <= 1.0:
        raise ValueError(f"max_reject_fraction must be within [0, 1], got {max_reject_fraction}")
    # Before anything is written: without a key no feature row may be produced.
    key = pseudonymisation_key(settings)
    # A build killed mid-write (SIGKILL, node loss) leaves hidden staging folders behind.
    for leftover in clean_leftovers(settings.features_dir) + clean_leftovers(
        settings.quarantine_dir
    ):
        logger.warning("cleaned up %s, left by an interrupted run", leftover)
    day, raw_partition = resolve_partition(settings.raw_dir, day)
    with lineage.run(
        JOB,
        [lineage.partition(raw_partition)],
        settings=settings,
        parameters={"partition_date": day.isoformat(), "max_reject_fraction": max_reject_fraction},
    ) as run:
        raw = read_verified_partition(raw_partition, ENGINE)
        if not raw.rows:
            raise InputError(f"raw batch {raw.data_path} has no rows")

        outcome = ENGINE.split(raw.frame)
        quarantine_path = partition_dir(settings.quarantine_dir, day) / REJECTED_FILE
        quarantine_columns: dict[str, str] = {}

        def write_quarantine(path: Path) -> None:
            ENGINE.write_parquet(outcome.rejected, path)
            quarantine_columns.update(parquet_columns(path))

        write_atomic(quarantine_path, write_quarantine)
        run.outputs.append(
            lineage.dataset(quarantine_path, columns=quarantine_columns, rows=outcome.rows_rejected)
        )
        if outcome.rows_rejected:
            logger.warning(
                "quarantined %d of %d rows (%.2f%%) to %s: %s",
                outcome.rows_rejected,
                outcome.rows_in,
                100 * outcome.rejected_fraction,
                quarantine_path,
                outcome.reason_counts,
            )

        accepted = outcome.rejected_fraction <= max_reject_fraction
        features_partition = partition_dir(settings.features_dir, day)
        features_path: Path | None = None
        if accepted:
            # Models and the drift reference never see a customer id, only its keyed pseudonym.
            table = ENGINE.feature_table(outcome.valid, key)
            features_path = write_partition_file(
                lambda path: ENGINE.write_parquet(table, path),
                features_partition,
                FEATURES_FILE,
                dataset=FEATURES_DATASET,
                source=f"{raw.data_path} (sha256 {raw.manifest.sha256})",
                upstream=[
                    UpstreamRef(
                        dataset=raw.manifest.dataset,
                        partition=raw.partition.name,
                        manifest_sha256=raw.manifest_sha256,
                    )
                ],
            )
            run.outputs.append(lineage.partition(features_partition))
            logger.info("wrote %d feature rows to %s", outcome.rows_valid, features_path)
        else:
            logger.error(
                "rejected fraction %.4f exceeds the limit %.4f: batch not trusted, "
                "no features written",
                outcome.rejected_fraction,
                max_reject_fraction,
            )
            if remove_dir_atomic(features_partition):
                logger.warning("removed stale feature partition %s", features_partition)
        run.parameters.update(
            {
                "input_sha256": raw.manifest.sha256,
                "input_manifest_sha256": raw.manifest_sha256,
                "rows_in": outcome.rows_in,
                "rows_valid": outcome.rows_valid,
                "rows_rejected": outcome.rows_rejected,
                "accepted": accepted,
            }
        )
    return RunReport(
        day=day,
        rows_in=outcome.rows_in,
        rows_valid=outcome.rows_valid,
        rows_rejected=outcome.rows_rejected,
        accepted=accepted,
        quarantine_path=quarantine_path,
        features_path=features_path,
        lineage_run_id=run.run_id,
    )
