"""The embedded event log keeps Kafka's semantics: keyed partitions, offsets, group commits."""

import time
from pathlib import Path

from events.log import EmbeddedLog

TOPIC = "customer-events"


def _values(messages) -> list[bytes]:
    return [message.value for message in messages]


def test_one_key_stays_in_order_on_one_partition(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path, partitions=4)
    producer = log.producer()
    for index in range(20):
        producer.send(TOPIC, b"C1" if index % 2 else b"C2", str(index).encode())
    producer.flush()
    messages = log.consumer("group", [TOPIC]).poll(100)
    assert len(messages) == 20
    for key in (b"C1", b"C2"):
        mine = [m for m in messages if m.key == key]
        assert len({m.partition for m in mine}) == 1
        assert [int(m.value) for m in mine] == sorted(int(m.value) for m in mine)
        assert [m.offset for m in mine] == list(range(len(mine)))


def test_a_group_resumes_after_its_committed_offsets(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path, partitions=1)
    producer = log.producer()
    for index in range(5):
        producer.send(TOPIC, b"k", str(index).encode())
    producer.flush()
    first = log.consumer("group", [TOPIC])
    batch = first.poll(3)
    first.commit(batch)
    assert _values(log.consumer("group", [TOPIC]).poll(10)) == [b"3", b"4"]
    # Polled but not committed: a new member of the group gets them again.
    first.poll(10)
    assert _values(log.consumer("group", [TOPIC]).poll(10)) == [b"3", b"4"]
    # Another group reads from the start.
    assert len(log.consumer("other", [TOPIC]).poll(10)) == 5


def test_a_line_cut_short_by_a_crash_is_no_message_and_is_repaired(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path, partitions=1)
    producer = log.producer()
    producer.send(TOPIC, b"k", b"kept")
    producer.flush()
    partition_file = tmp_path / "topics" / TOPIC / "partition-0.log"
    with partition_file.open("ab") as handle:
        handle.write(b'{"offset":1,"key":null,"val')  # the crash cut this append
    assert _values(log.consumer("group", [TOPIC]).poll(10)) == [b"kept"]
    producer.send(TOPIC, b"k", b"next")
    producer.flush()
    messages = log.consumer("group", [TOPIC]).poll(10)
    assert [(m.offset, m.value) for m in messages] == [(0, b"kept"), (1, b"next")]


def test_the_partition_count_of_a_topic_never_changes(tmp_path: Path) -> None:
    assert EmbeddedLog(tmp_path, partitions=3).partitions(TOPIC) == 3
    assert EmbeddedLog(tmp_path, partitions=8).partitions(TOPIC) == 3


def test_an_empty_poll_waits_like_kafka_instead_of_spinning(tmp_path: Path) -> None:
    consumer = EmbeddedLog(tmp_path, partitions=1).consumer("group", [TOPIC])
    started = time.monotonic()
    assert consumer.poll(10, timeout=0.2) == []
    assert time.monotonic() - started >= 0.2
