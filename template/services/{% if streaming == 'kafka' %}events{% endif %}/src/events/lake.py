"""The raw events zone, and the update of the day's raw customer table the features step reads.

``<lake>/raw/events/ingestion_date=<event day, UTC>/batch-<digest>/`` holds ``events.parquet``
and its ``_manifest.json`` (``contracts.lake.write_dataset_partition``: atomic, checksummed). A
batch never changes once written. An event lands once: the events of a day whose ``event_id``
the day already holds are dropped before writing (an event's day comes from its own timestamp,
so a redelivered event always meets its first copy), and the folder name is the digest of the
ids it holds. Local writes are fsynced before ``append_events`` returns: the consumer commits
its offsets only after that.

``update_customers`` is how events reach the features step (the trigger it consumes): the raw
customer partition of the day becomes the day's batch rows with each customer who has events
replaced by their latest event (the newest batch before that day when the day has none). The
features step then builds from it as from any batch: validation, quarantine, pseudonymisation.
A partition that would not change is not rewritten, so a replay changes no byte of the lake.
"""

import hashlib
import logging
import os
from collections.abc import Iterable
from datetime import UTC, date
from pathlib import Path

import pandas as pd

from contracts import PARTITION_KEY, Settings, lineage, partition_dir
from contracts.events import EVENT_COLUMNS, PAYLOAD_COLUMNS, CustomerEvent
from contracts.features import ID_COLUMN
from contracts.lake import (
    clean_leftovers,
    read_verified_table,
    verify_partition,
    write_dataset_partition,
)
from contracts.storage import LakePath

EVENTS_DATASET = "raw/events"
EVENTS_FILE = "events.parquet"
CUSTOMERS_DATASET = "raw/customers"
CUSTOMERS_FILE = "part-0000.parquet"
logger = logging.getLogger(__name__)


def _batches(day_partition: LakePath) -> list[LakePath]:
    if not day_partition.is_dir():
        return []
    # Dot-prefixed staging folders of a writer in progress are not batches yet.
    return sorted(path for path in day_partition.glob("batch-*") if path.is_dir())


def read_day(events_dir: LakePath, day: date) -> pd.DataFrame:
    """Every event of ``day``, each batch checked against its manifest, ids unique."""
    frames = [
        read_verified_table(verify_partition(batch), what="event batch", columns=EVENT_COLUMNS)
        for batch in _batches(partition_dir(events_dir, day))
    ]
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in EVENT_COLUMNS})
    events = pd.concat(frames, ignore_index=True)
    return events.drop_duplicates("event_id", keep="first").reset_index(drop=True)


def _fsync_tree(path: LakePath) -> None:
    """Flush a local batch folder and its parents' entries to disk (object stores: no-op)."""
    if not isinstance(path, Path):
        return
    for item in [*sorted(path.iterdir()), path, path.parent, path.parent.parent]:
        descriptor = os.open(item, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def event_day(event: CustomerEvent) -> date:
    """The UTC date of the event: its partition."""
    return event.timestamp.astimezone(UTC).date()


def append_events(
    settings: Settings, events: Iterable[CustomerEvent], *, source: str
) -> dict[date, int]:
    """Write the events the zone does not hold yet; return {day: new events} of every day seen.

    Days with no new events are in the result with 0: they were touched by a redelivery.
    """
    by_day: dict[date, list[CustomerEvent]] = {}
    for event in events:
        by_day.setdefault(event_day(event), []).append(event)
    for leftover in clean_leftovers(settings.events_dir):
        logger.warning("cleaned up %s, left by an interrupted run", leftover)
    written: dict[date, int] = {}
    for day, day_events in sorted(by_day.items()):
        known = set(read_day(settings.events_dir, day)["event_id"])
        rows = {e.event_id: e.to_row() for e in day_events if e.event_id not in known}
        written[day] = len(rows)
        if not rows:
            continue
        frame = pd.DataFrame([rows[key] for key in sorted(rows)], columns=list(EVENT_COLUMNS))
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        digest = hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:32]
        target = partition_dir(settings.events_dir, day) / f"batch-{digest}"
        write_dataset_partition(frame, target, EVENTS_FILE, dataset=EVENTS_DATASET, source=source)
        _fsync_tree(target)
    return written


def _latest_per_customer(events: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per customer: their latest event (ties broken by event id), raw-table columns."""
    ordered = events.sort_values(["timestamp", "event_id"], kind="stable")
    latest = ordered.drop_duplicates(ID_COLUMN, keep="last").sort_values(ID_COLUMN)
    return latest.loc[:, columns].reset_index(drop=True)


def _base_partition(settings: Settings, day: date) -> LakePath | None:
    """The day's raw customer partition, else the newest one before it, else None."""
    root = settings.raw_dir
    if not root.is_dir():
        return None
    candidates = sorted(
        path
        for path in root.glob(f"{PARTITION_KEY}=*")
        if path.is_dir() and path.name <= partition_dir(root, day).name
    )
    return candidates[-1] if candidates else None


def _same(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return False
    try:
        pd.testing.assert_frame_equal(
            left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False
        )
    except AssertionError:
        return False
    return True


def update_customers(settings: Settings, day: date) -> LakePath | None:
    """Fold the day's events into its raw customer partition; return it, or None if unchanged."""
    events = read_day(settings.events_dir, day)
    if events.empty:
        return None
    for leftover in clean_leftovers(settings.raw_dir):
        logger.warning("cleaned up %s, left by an interrupted run", leftover)
    target = partition_dir(settings.raw_dir, day)
    base = _base_partition(settings, day)
    current: pd.DataFrame | None = None
    batches = _batches(partition_dir(settings.events_dir, day))
    inputs = [lineage.partition(batch) for batch in batches]
    if base is None:
        columns = [ID_COLUMN, *PAYLOAD_COLUMNS]
        rows = pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    else:
        verified = verify_partition(base)
        rows = read_verified_table(verified, what="raw batch")
        columns = [str(column) for column in rows.columns]
        if base == target:
            current = rows
        inputs.append(lineage.partition(base))
    latest = _latest_per_customer(events, columns)
    keep = ~rows[ID_COLUMN].astype("string").isin(set(latest[ID_COLUMN])).fillna(False)
    updated = pd.concat([rows.loc[keep.astype(bool)], latest], ignore_index=True)
    if current is not None and _same(current, updated):
        return None
    source = f"{base or 'no batch'} + the latest events of {len(latest)} customers on {day}"
    with lineage.run("events-update-customers", inputs, settings=settings) as run:
        write_dataset_partition(
            updated, target, CUSTOMERS_FILE, dataset=CUSTOMERS_DATASET, source=source
        )
        run.outputs.append(lineage.partition(target))
        run.parameters.update(customers_from_events=len(latest), rows=len(updated))
    return target
