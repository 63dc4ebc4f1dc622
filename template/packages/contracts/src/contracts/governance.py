"""``forget-customer`` (GDPR art. 17 erasure) and ``retention``: the lake's deletion jobs.

``forget-customer`` removes one customer from the raw zone (by id), the quarantine (by id) and
the feature table (by pseudonym), and from every ``PersonalDataStore`` given (the seam for an
online feature store), then writes an audit record holding who, when and which partitions,
with a keyed hash of the customer instead of the id. Each affected partition is rewritten as a
whole (``storage.replacing_dir``): a crash leaves the old partition, and a rerun finishes the
job. Manifests stay valid: a feature partition built from a rewritten raw batch gets the new
raw manifest's digest as its upstream, so training still accepts it.

``retention`` deletes the date partitions older than ``APP_RETENTION_DAYS_<ZONE>``.
"""

import argparse
import getpass
import json
import logging
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import pandas as pd

from contracts import lineage
from contracts.cli import (
    EXIT_OK,
    CommandError,
    configure_logging,
    iso_date,
    load_settings,
    run_command,
)
from contracts.features import ID_COLUMN
from contracts.lake import (
    PARTITION_KEY,
    clean_leftovers,
    read_manifest,
    read_verified_table,
    verify_partition,
    write_dataset_partition,
)
from contracts.lineage import UpstreamRef
from contracts.privacy import audit_subject, pseudonym, pseudonymisation_key
from contracts.settings import Settings
from contracts.storage import (
    LakePath,
    read_table,
    remove_dir_atomic,
    write_parquet_atomic,
    write_text_atomic,
)

logger = logging.getLogger(__name__)
QUARANTINE_FILE = "rejected.parquet"
MAX_ID_LENGTH = 64


class PersonalDataStore(Protocol):
    """A store outside the lake that holds customer data (e.g. an online feature store)."""

    name: str

    def erase(self, customer_id: str, pseudonym: str) -> int:
        """Delete the customer's entries; return how many were deleted."""
        ...


@dataclass
class ErasureReport:
    """What ``forget_customer`` removed: rows per partition (``zone/.../ingestion_date=...``)."""

    removed: dict[str, int] = field(default_factory=dict)
    stores: dict[str, int] = field(default_factory=dict)
    audit_path: LakePath | None = None

    @property
    def rows(self) -> int:
        return sum(self.removed.values()) + sum(self.stores.values())


def _partitions(root: LakePath) -> list[LakePath]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.glob(f"{PARTITION_KEY}=*") if path.is_dir())


def _relative(path: LakePath, settings: Settings) -> str:
    return lineage.dataset_identity(lineage.dataset(path), settings.lake_dir)[1]


def _matches(column: "pd.Series[object]", value: str) -> "pd.Series[bool]":
    """Rows whose id is ``value``; a missing id (quarantined rows) never matches."""
    return (column.astype("string") == value).fillna(False).astype(bool)


def check_customer_id(customer_id: str) -> str:
    """The id as the raw contract allows it (1-64 printable characters); else a usage error."""
    if not 1 <= len(customer_id) <= MAX_ID_LENGTH or not customer_id.isprintable():
        raise CommandError(
            f"a customer id has 1-{MAX_ID_LENGTH} printable characters, got {len(customer_id)}"
        )
    return customer_id


def _rewrite_manifested(
    partition: LakePath,
    keep: "pd.Series[bool]",
    frame: pd.DataFrame,
    upstream: Sequence[UpstreamRef],
) -> str:
    """Replace a manifested partition by ``frame[keep]``; return its new manifest digest."""
    verified = verify_partition(partition)
    write_dataset_partition(
        frame.loc[keep].reset_index(drop=True),
        partition,
        verified.data_path.name,
        dataset=verified.manifest.dataset,
        source=verified.manifest.source,
        upstream=upstream,
    )
    return read_manifest(partition)[1]


RawDigests = dict[tuple[str, str, str], str]


def _forget_raw(settings: Settings, customer_id: str, report: ErasureReport) -> RawDigests:
    """Raw partitions without the customer; {(dataset, partition, old digest): new digest}."""
    replaced: RawDigests = {}
    for partition in _partitions(settings.raw_dir):
        verified = verify_partition(partition)
        frame = read_verified_table(verified, what="raw batch", columns=[ID_COLUMN])
        hit = _matches(frame[ID_COLUMN], customer_id)
        if not hit.any():
            continue
        new = _rewrite_manifested(partition, ~hit, frame, verified.manifest.upstream)
        replaced[(verified.manifest.dataset, partition.name, verified.manifest_sha256)] = new
        report.removed[_relative(partition, settings)] = int(hit.sum())
    return replaced


def _forget_features(
    settings: Settings,
    subject: str,
    raw_replaced: RawDigests,
    report: ErasureReport,
) -> None:
    """Feature partitions without the pseudonym, pointing at the rewritten raw batches."""
    for partition in _partitions(settings.features_dir):
        verified = verify_partition(partition)
        upstream = [
            ref.model_copy(
                update={
                    "manifest_sha256": raw_replaced.get(
                        (ref.dataset, ref.partition, ref.manifest_sha256), ref.manifest_sha256
                    )
                }
            )
            for ref in verified.manifest.upstream
        ]
        frame = read_verified_table(verified, what="feature table", columns=[ID_COLUMN])
        hit = _matches(frame[ID_COLUMN], subject)
        if not hit.any() and upstream == verified.manifest.upstream:
            continue
        _rewrite_manifested(partition, ~hit, frame, upstream)
        if hit.any():
            report.removed[_relative(partition, settings)] = int(hit.sum())


def _forget_quarantine(settings: Settings, customer_id: str, report: ErasureReport) -> None:
    for partition in _partitions(settings.quarantine_dir):
        path = partition / QUARANTINE_FILE
        if not path.is_file():
            continue
        frame = read_table(path, what="quarantine", columns=[ID_COLUMN])
        hit = _matches(frame[ID_COLUMN], customer_id)
        if hit.any():
            write_parquet_atomic(frame.loc[~hit].reset_index(drop=True), path)
            report.removed[_relative(partition, settings)] = int(hit.sum())


def forget_customer(
    settings: Settings,
    customer_id: str,
    *,
    requested_by: str,
    stores: Sequence[PersonalDataStore] = (),
) -> ErasureReport:
    """Erase ``customer_id`` from the lake and ``stores``; write and return the audit record."""
    check_customer_id(customer_id)
    key = pseudonymisation_key(settings)
    subject = pseudonym(customer_id, key)
    report = ErasureReport()
    for root in (settings.raw_dir, settings.features_dir, settings.quarantine_dir):
        for leftover in clean_leftovers(root):
            logger.warning("cleaned up %s, left by an interrupted run", leftover)
    with lineage.run("forget-customer", settings=settings) as run:
        raw_replaced = _forget_raw(settings, customer_id, report)
        _forget_features(settings, subject, raw_replaced, report)
        _forget_quarantine(settings, customer_id, report)
        for store in stores:
            report.stores[store.name] = store.erase(customer_id, subject)
        run.outputs += [
            lineage.dataset(settings.lake_dir / name, lifecycle="OVERWRITE")
            for name in report.removed
        ]
        run.parameters["rows_removed"] = report.rows
        report.audit_path = _write_audit(settings, customer_id, key, requested_by, report)
    return report


def _write_audit(
    settings: Settings, customer_id: str, key: bytes, requested_by: str, report: ErasureReport
) -> LakePath:
    now = datetime.now(UTC)
    record = {
        "action": "forget-customer",
        "requested_by": requested_by,
        "performed_at": now.isoformat(),
        # Never the id or its pseudonym: a keyed hash only the key holder can match to an id.
        "subject_hmac_sha256": audit_subject(customer_id, key),
        "rows_removed": report.removed,
        "stores": report.stores,
        "code_version": lineage.code_version(settings),
    }
    name = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:8]}.json"
    return write_text_atomic(
        json.dumps(record, indent=2, sort_keys=True) + "\n", settings.audit_dir / name
    )


def retention_cutoffs(settings: Settings, today: date) -> dict[str, tuple[LakePath, date]]:
    """Per zone, its folder and the oldest partition date it keeps."""
    return {
        "raw": (settings.raw_dir, today - timedelta(days=settings.retention_days_raw)),
        "quarantine": (
            settings.quarantine_dir,
            today - timedelta(days=settings.retention_days_quarantine),
        ),
        "features": (
            settings.features_dir,
            today - timedelta(days=settings.retention_days_features),
        ),
    }


def apply_retention(settings: Settings, today: date, *, dry_run: bool = False) -> list[LakePath]:
    """Delete (or list, ``dry_run``) every partition older than its zone's retention."""
    expired = []
    for root, oldest in retention_cutoffs(settings, today).values():
        for partition in _partitions(root):
            try:
                day = date.fromisoformat(partition.name.removeprefix(f"{PARTITION_KEY}="))
            except ValueError:
                logger.warning("skipped %s: not a date partition", partition)
                continue
            if day < oldest:
                expired.append(partition)
    if not dry_run and expired:
        with lineage.run("retention", settings=settings) as run:
            for partition in expired:
                remove_dir_atomic(partition)
                run.outputs.append(lineage.dataset(partition, lifecycle="DROP"))
            run.parameters["partitions_deleted"] = len(expired)
    return expired


def _forget(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="forget-customer",
        description="Erase one customer from raw, features, quarantine (and the online store) "
        "and write an audit record without the customer's id.",
    )
    parser.add_argument("customer_id", help="the id as ingested (raw zone)")
    parser.add_argument(
        "--requested-by",
        default=getpass.getuser(),
        help="who asked for the erasure, for the audit record (default: this user)",
    )
    args = parser.parse_args(argv)
    configure_logging()
    report = forget_customer(
        load_settings(), check_customer_id(args.customer_id), requested_by=args.requested_by
    )
    if not report.removed:
        logger.warning("no data of this customer in the lake; erasure recorded anyway")
    partitions = len(report.removed)
    print(f"removed {report.rows} rows from {partitions} partitions; audit {report.audit_path}")
    return EXIT_OK


def _retention(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="retention",
        description="Delete the lake partitions older than APP_RETENTION_DAYS_<ZONE> days.",
    )
    parser.add_argument(
        "--today", type=iso_date, default=None, help="reference date (default: today, UTC)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list, do not delete")
    args = parser.parse_args(argv)
    configure_logging()
    today = args.today or datetime.now(UTC).date()
    for partition in apply_retention(load_settings(), today, dry_run=args.dry_run):
        print(f"{'would delete' if args.dry_run else 'deleted'} {partition}")
    return EXIT_OK


def forget_main(argv: list[str] | None = None) -> int:
    return run_command("forget-customer", lambda: _forget(argv))


def retention_main(argv: list[str] | None = None) -> int:
    return run_command("retention", lambda: _retention(argv))


if __name__ == "__main__":
    sys.exit(forget_main())
