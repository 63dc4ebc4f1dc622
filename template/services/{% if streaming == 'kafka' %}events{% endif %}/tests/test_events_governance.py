"""GDPR on the raw events zone: forget-customer erases a customer's events, retention expires
old event partitions, like every other raw partition."""

from datetime import date, timedelta
from pathlib import Path

from contracts import Settings
from contracts.governance import apply_retention, forget_customer
from events import clients
from events.consumer import consume
from events.lake import read_day

DAY = date(2026, 1, 5)  # the day of the conftest's events


def _land(settings: Settings, events) -> None:
    producer = clients.producer(settings)
    for event in events:
        producer.send(settings.kafka_topic, event.customer_id.encode(), event.to_bytes())
    producer.flush()
    consumer = clients.consumer(settings, [settings.kafka_topic])
    consume(settings, consumer, clients.producer(settings))


def _lake_files_holding(settings: Settings, value: str) -> list[str]:
    root = Path(settings.lake_dir)
    return [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and value.encode() in path.read_bytes()
    ]


def test_a_forgotten_customer_is_in_no_event_of_the_lake(settings: Settings, make_event) -> None:
    forgotten = "C0000007"
    _land(
        settings, [make_event(i, customer_id=forgotten if i % 3 else "C0000001") for i in range(9)]
    )
    assert _lake_files_holding(settings, forgotten)

    report = forget_customer(settings, forgotten, requested_by="dpo@example.com")

    assert report.rows >= 6
    assert _lake_files_holding(settings, forgotten) == []
    assert sorted(read_day(settings.events_dir, DAY)["customer_id"]) == ["C0000001"] * 3


def test_retention_expires_old_event_partitions(settings: Settings, make_event) -> None:
    _land(settings, [make_event(1)])
    old = read_day(settings.events_dir, DAY)
    assert len(old) == 1
    today = DAY + timedelta(days=settings.retention_days_raw + 1)
    removed = apply_retention(settings, today)
    assert any("raw/events" in str(path) for path in removed)
    assert read_day(settings.events_dir, DAY).empty
