"""The consumer's guarantees: each event once, replays change nothing, bad events dead-lettered
with their reason while the rest flows, and offsets committed only after the lake write."""

import hashlib
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings
from contracts.events import MAX_REASON_CHARS
from events import clients
from events.consumer import consume
from events.lake import read_day
from events.log import EmbeddedConsumer

TOPIC = "customer-events"
DAY = date(2026, 1, 5)  # the day of the conftest's events


def _send(settings: Settings, values: list[bytes], key: bytes = b"C0000001") -> None:
    producer = clients.producer(settings)
    for value in values:
        producer.send(settings.kafka_topic, key, value)
    producer.flush()


def _consume(settings: Settings, group: str | None = None):
    if group is not None:
        settings = settings.model_copy(update={"kafka_group_id": group})
    consumer = clients.consumer(settings, [settings.kafka_topic])
    return consume(settings, consumer, clients.producer(settings), batch_size=7)


def _lake_bytes(settings: Settings) -> dict[str, str]:
    """sha256 of every data file of the lake (lineage records every run, replays included)."""
    root = Path(settings.lake_dir)
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "lineage" not in path.relative_to(root).parts
    }


def _dead_letters(settings: Settings) -> list[dict[str, object]]:
    log = clients.embedded_log(settings)
    messages = log.consumer("inspect", [settings.kafka_dlq_topic]).poll(1000)
    return [json.loads(message.value or b"") for message in messages]


def test_each_event_lands_once_and_a_replay_leaves_the_lake_byte_identical(
    settings: Settings, make_event
) -> None:
    events = [make_event(index) for index in range(30)]
    # Every event sent twice: the producer's own retries or a replayed topic.
    _send(settings, [event.to_bytes() for event in events + events])
    first = _consume(settings)
    assert (first.messages, first.new_events, first.duplicates) == (60, 30, 30)
    lake = read_day(settings.events_dir, DAY)
    assert sorted(lake["event_id"]) == sorted(event.event_id for event in events)
    before = _lake_bytes(settings)

    replay = _consume(settings, group="replay")  # a new group reads the whole log again
    assert (replay.messages, replay.new_events, replay.updated) == (60, 0, [])
    assert _lake_bytes(settings) == before


def test_a_malformed_event_is_dead_lettered_with_its_reason_and_the_rest_flows(
    settings: Settings, make_event
) -> None:
    wrong_version = json.loads(make_event(2).to_bytes())
    wrong_version["schema_version"] = 2
    invalid = json.loads(make_event(3).to_bytes())
    invalid["payload"]["engagement_score"] = 7
    values = [
        make_event(1).to_bytes(),
        b"{broken json" + b"x" * 10_000,
        json.dumps(wrong_version).encode(),
        json.dumps(invalid).encode(),
        b"y" * (settings.kafka_max_message_bytes + 1),
        make_event(4).to_bytes(),
    ]
    _send(settings, values)
    report = _consume(settings)
    assert (report.new_events, report.dead_letters) == (2, 4)
    assert sorted(read_day(settings.events_dir, DAY)["event_id"]) == [
        "event-000001",
        "event-000004",
    ]
    letters = _dead_letters(settings)
    assert [letter["reason"] for letter in letters] == [
        "unparseable",
        "schema_version",
        "invalid",
        "too_large",
    ]
    assert [letter["offset"] for letter in letters] == [1, 2, 3, 4]
    assert "engagement_score" in str(letters[2]["detail"])
    for letter in letters:
        assert len(str(letter["detail"])) <= MAX_REASON_CHARS
        assert len(str(letter["value_head"])) <= 4096
    # Dead-lettered messages are committed too: the next run does not read them again.
    assert _consume(settings).messages == 0


class Crash(BaseException):
    """The process dies (SIGKILL, node loss): nothing after this point runs."""


def test_a_crash_between_the_lake_write_and_the_commit_loses_and_duplicates_nothing(
    settings: Settings, make_event, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [make_event(index) for index in range(12)]
    _send(settings, [event.to_bytes() for event in events])

    def die(self: EmbeddedConsumer, messages: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(EmbeddedConsumer, "commit", die)
        with pytest.raises(Crash):
            _consume(settings)
    written = read_day(settings.events_dir, DAY)
    assert 0 < len(written) < len(events)  # the first batch reached the lake, uncommitted
    assert clients.embedded_log(settings).committed(settings.kafka_group_id, TOPIC) == {}

    report = _consume(settings)  # the restarted consumer gets the batch again
    assert report.messages == len(events)
    assert report.duplicates == len(written)
    lake = read_day(settings.events_dir, DAY)
    assert sorted(lake["event_id"]) == sorted(event.event_id for event in events)
    assert lake["event_id"].is_unique


def test_the_days_raw_customers_get_the_latest_event_and_the_features_step_sees_it(
    settings: Settings, make_event
) -> None:
    from contracts.privacy import pseudonym, pseudonymisation_key
    from features.pipeline import build_features
    from ingestion.lake import write_raw_partition
    from ingestion.synthetic import generate_customers

    batch = generate_customers(300, seed=1)
    write_raw_partition(batch, settings.raw_dir, DAY, "test batch")
    customer = str(batch["customer_id"].iloc[5])
    older = make_event(1, customer_id=customer, tenure_months=100)
    newer = make_event(2, customer_id=customer, tenure_months=200, support_tickets=9)
    newcomer = make_event(3, customer_id="C9999999", tenure_months=1)
    _send(settings, [newer.to_bytes(), older.to_bytes(), newcomer.to_bytes()])
    report = _consume(settings)
    assert len(report.updated) == 1

    features = build_features(settings, DAY)
    table = pd.read_parquet(features.features_path)
    key = pseudonymisation_key(settings)
    by_id = table.set_index("customer_id")
    assert by_id.loc[pseudonym(customer, key), "tenure_months"] == 200  # the latest event wins
    assert by_id.loc[pseudonym(customer, key), "support_tickets"] == 9
    assert pseudonym("C9999999", key) in by_id.index
    assert customer not in set(table["customer_id"])  # pseudonymised, never the id
    assert features.rows_in == 301
