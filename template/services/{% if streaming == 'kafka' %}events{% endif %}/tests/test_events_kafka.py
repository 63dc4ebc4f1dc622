"""The same guarantees on a real Kafka broker (the CI's service container).

Skipped, saying why, unless ``APP_KAFKA_BOOTSTRAP_SERVERS`` names a broker that answers; the
generated CI starts one (``apache/kafka``) and runs these with ``APP_KAFKA_ALLOW_PLAINTEXT=1``
on its private network, and ``APP_KAFKA_REQUIRE_BROKER=1``: there, no broker is a failure.
"""

import json
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from contracts import Settings, get_settings

pytestmark = pytest.mark.kafka
BOOTSTRAP = os.environ.get("APP_KAFKA_BOOTSTRAP_SERVERS", "")
# How the CI reaches its broker (the settings fixture clears these for the embedded-log tests).
BROKER_ENV = {
    name: os.environ[name]
    for name in ("APP_KAFKA_SECURITY_PROTOCOL", "APP_KAFKA_ALLOW_PLAINTEXT")
    if name in os.environ
}


def _reachable(servers: str) -> bool:
    for server in filter(None, (part.strip() for part in servers.split(","))):
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=2):
                return True
        except (OSError, ValueError):
            continue
    return False


if not _reachable(BOOTSTRAP) and os.environ.get("APP_KAFKA_REQUIRE_BROKER") == "1":
    # The CI's broker step: a broker that did not come up is a failure, not a skip.
    pytest.fail(f"no Kafka broker reachable at {BOOTSTRAP!r}", pytrace=False)
if not _reachable(BOOTSTRAP):
    pytest.skip(
        f"no Kafka broker reachable at APP_KAFKA_BOOTSTRAP_SERVERS={BOOTSTRAP!r}; "
        "the CI runs these against its broker service",
        allow_module_level=True,
    )


@pytest.fixture()
def broker(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings on the real broker, with topics and a group of this test alone."""
    run = uuid.uuid4().hex[:10]
    monkeypatch.setenv("APP_KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP)
    for name, value in BROKER_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APP_KAFKA_TOPIC", f"customer-events-{run}")
    monkeypatch.setenv("APP_KAFKA_DLQ_TOPIC", f"customer-events-dlq-{run}")
    monkeypatch.setenv("APP_KAFKA_GROUP_ID", f"events-lake-{run}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_events_reach_the_lake_once_and_bad_ones_the_dead_letter_topic(
    broker: Settings, make_event
) -> None:
    from events import kafka
    from events.consumer import consume

    events = [make_event(index) for index in range(10)]
    producer = kafka.Producer(broker)
    for value in [event.to_bytes() for event in events] + [b"{broken", events[0].to_bytes()]:
        producer.send(broker.kafka_topic, b"C0000001", value)
    producer.flush()

    consumer = kafka.Consumer(broker, [broker.kafka_topic])
    try:
        report = consume(broker, consumer, producer, timeout=1.0, idle_seconds=10)
    finally:
        consumer.close()
    assert (report.messages, report.new_events, report.duplicates) == (12, 10, 1)
    assert report.dead_letters == 1

    inspect = broker.model_copy(update={"kafka_group_id": broker.kafka_group_id + "-dlq"})
    dlq = kafka.Consumer(inspect, [broker.kafka_dlq_topic])
    try:
        letters = []
        for _ in range(20):
            letters += dlq.poll(10, 1.0)
            if letters:
                break
    finally:
        dlq.close()
    assert json.loads(letters[0].value or b"")["reason"] == "unparseable"

    # Committed: the same group reads nothing again; a replay by another group adds nothing.
    again = kafka.Consumer(broker, [broker.kafka_topic])
    try:
        assert consume(broker, again, producer, timeout=1.0, idle_seconds=6).messages == 0
    finally:
        again.close()
    replay_settings = broker.model_copy(update={"kafka_group_id": broker.kafka_group_id + "-r"})
    replay = kafka.Consumer(replay_settings, [broker.kafka_topic])
    try:
        replayed = consume(replay_settings, replay, producer, timeout=1.0, idle_seconds=10)
    finally:
        replay.close()
    assert (replayed.messages, replayed.new_events) == (12, 0)
