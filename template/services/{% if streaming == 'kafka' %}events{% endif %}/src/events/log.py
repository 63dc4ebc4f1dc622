"""The event log port, and its embedded adapter: an append-only, broker-free log in files.

The port is what the producer and the consumer need of Kafka and nothing more: send keyed
messages to a topic and wait until they are durable (``flush``); poll messages of a consumer
group and commit, per partition, the offset after the last message handled. ``kafka.py`` is
the adapter on a real broker (confluent-kafka); ``EmbeddedLog`` keeps the same semantics in
``APP_DATA_DIR/events-log`` so ``make pipeline`` and the tests run offline:

- ``topics/<topic>/partition-<n>.log``: one JSON line per message, offsets 0, 1, 2, ... A
  message goes to partition ``crc32(key) % partitions``: one key's messages stay in order.
- ``topics/<topic>/meta.json``: the partition count, fixed when the topic is created.
- ``groups/<group>/<topic>.json``: the committed offsets (next offset to read per partition),
  replaced atomically: a crash leaves the previous commit, never half of one.

Appends are flushed and fsynced before ``flush`` returns. A line cut short by a crash (no
trailing newline) is not a message: readers stop before it and the next append drops it.
"""

import base64
import binascii
import contextlib
import fcntl
import json
import os
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class LogError(Exception):
    """The log cannot be read or written (broker unreachable, delivery failed, corrupt file)."""


class Producer(Protocol):
    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue one message for ``topic``."""
        ...

    def flush(self) -> None:
        """Return once every queued message is durable; ``LogError`` if any was not."""
        ...


class Consumer(Protocol):
    def poll(self, max_messages: int, timeout: float) -> list[Message]:
        """The next messages after the committed (or already polled) offsets; maybe none."""
        ...

    def commit(self, messages: Sequence[Message]) -> None:
        """Commit, per partition, the offset after the last of ``messages`` (synchronously)."""
        ...

    def close(self) -> None: ...


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """Per (topic, partition): the offset to commit after ``messages``."""
    offsets: dict[tuple[str, int], int] = {}
    for message in messages:
        where = (message.topic, message.partition)
        offsets[where] = max(offsets.get(where, 0), message.offset + 1)
    return offsets


def _encode(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _decode(text: object) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise LogError(f"corrupt log entry: {type(text).__name__} where base64 was expected")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise LogError(f"corrupt log entry: {exc}") from None


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for appending under an exclusive lock (one writer per partition file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class _Entries:
    """The complete lines of a partition file: how many, and how many bytes they take."""

    count: int
    valid_bytes: int


class EmbeddedLog:
    """Topics, partitions and consumer-group offsets in files under ``root``."""

    def __init__(self, root: Path, partitions: int = 3) -> None:
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self.root = root
        self.default_partitions = partitions

    def _topic_dir(self, topic: str) -> Path:
        if not topic or "/" in topic or topic.startswith("."):
            raise LogError(f"invalid topic name {topic!r}")
        return self.root / "topics" / topic

    def partitions(self, topic: str) -> int:
        """The topic's partition count; the topic is created with the default on first use."""
        meta = self._topic_dir(topic) / "meta.json"
        if not meta.is_file():
            meta.parent.mkdir(parents=True, exist_ok=True)
            temporary = meta.with_name(f".meta-{os.getpid()}.json")
            temporary.write_text(json.dumps({"partitions": self.default_partitions}) + "\n")
            # Only the first creator wins: a topic's partition count never changes.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, meta)
            temporary.unlink()
        count = json.loads(meta.read_text())["partitions"]
        if not isinstance(count, int) or count < 1:
            raise LogError(f"corrupt {meta}: partitions must be a positive integer")
        return count

    def _partition_file(self, topic: str, partition: int) -> Path:
        return self._topic_dir(topic) / f"partition-{partition}.log"

    def partition_for(self, topic: str, key: bytes | None) -> int:
        return zlib.crc32(key or b"") % self.partitions(topic)

    def append(self, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Append ``(key, value)`` records durably (flushed and fsynced) in order."""
        by_partition: dict[int, list[tuple[bytes | None, bytes]]] = {}
        for key, value in records:
            by_partition.setdefault(self.partition_for(topic, key), []).append((key, value))
        for partition, items in sorted(by_partition.items()):
            path = self._partition_file(topic, partition)
            with _locked(path) as handle:
                entries = self._entries(handle)
                handle.truncate(entries.valid_bytes)  # drop a line a crash cut short
                handle.seek(0, os.SEEK_END)
                for offset, (key, value) in enumerate(items, start=entries.count):
                    line = {"offset": offset, "key": _encode(key), "value": _encode(value)}
                    handle.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(path.parent)

    @staticmethod
    def _entries(handle: IO[bytes]) -> "_Entries":
        handle.seek(0)
        count = valid = 0
        for line in handle:
            if not line.endswith(b"\n"):
                break
            count += 1
            valid += len(line)
        return _Entries(count, valid)

    def read(self, topic: str, partition: int, start: int, limit: int) -> list[Message]:
        """Up to ``limit`` complete messages of one partition from offset ``start``."""
        path = self._partition_file(topic, partition)
        if not path.is_file():
            return []
        messages: list[Message] = []
        with path.open("rb") as handle:
            for index, line in enumerate(handle):
                if not line.endswith(b"\n") or len(messages) >= limit:
                    break
                if index < start:
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise LogError(f"corrupt line {index} of {path}: {exc}") from None
                if not isinstance(entry, dict) or entry.get("offset") != index:
                    raise LogError(f"corrupt line {index} of {path}: offset out of sequence")
                messages.append(
                    Message(topic, partition, index, _decode(entry["key"]), _decode(entry["value"]))
                )
        return messages

    def _offsets_file(self, group: str, topic: str) -> Path:
        if not group or "/" in group or group.startswith("."):
            raise LogError(f"invalid consumer group name {group!r}")
        return self.root / "groups" / group / f"{topic}.json"

    def committed(self, group: str, topic: str) -> dict[int, int]:
        path = self._offsets_file(group, topic)
        if not path.is_file():
            return {}
        try:
            stored = json.loads(path.read_text())
            return {int(partition): int(offset) for partition, offset in stored.items()}
        except (ValueError, AttributeError) as exc:
            raise LogError(f"corrupt committed offsets {path}: {exc}") from None

    def commit(self, group: str, topic: str, offsets: dict[int, int]) -> None:
        """Record ``offsets`` (partition -> next offset) atomically and durably."""
        path = self._offsets_file(group, topic)
        path.parent.mkdir(parents=True, exist_ok=True)
        merged = {**self.committed(group, topic), **offsets}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("w") as handle:
            json.dump({str(key): value for key, value in sorted(merged.items())}, handle)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        _fsync_dir(path.parent)

    def producer(self) -> "EmbeddedProducer":
        return EmbeddedProducer(self)

    def consumer(self, group: str, topics: Sequence[str]) -> "EmbeddedConsumer":
        return EmbeddedConsumer(self, group, topics)


class EmbeddedProducer:
    """Queues messages; ``flush`` appends them to the log durably."""

    def __init__(self, log: EmbeddedLog) -> None:
        self.log = log
        self._queued: dict[str, list[tuple[bytes | None, bytes]]] = {}

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self._queued.setdefault(topic, []).append((key, value))

    def flush(self) -> None:
        queued, self._queued = self._queued, {}
        for topic, records in queued.items():
            self.log.append(topic, records)


class EmbeddedConsumer:
    """One member of a consumer group that owns every partition of its topics."""

    def __init__(self, log: EmbeddedLog, group: str, topics: Sequence[str]) -> None:
        self.log = log
        self.group = group
        self.topics = tuple(topics)
        # Where the next poll reads: the committed offsets, advanced by each poll.
        self._position: dict[tuple[str, int], int] = {}
        for topic in self.topics:
            committed = log.committed(group, topic)
            for partition in range(log.partitions(topic)):
                self._position[(topic, partition)] = committed.get(partition, 0)

    def poll(self, max_messages: int, timeout: float = 0.0) -> list[Message]:
        """Like Kafka's poll: wait up to ``timeout`` seconds when nothing is there yet."""
        messages = self._read(max_messages)
        if not messages and timeout > 0:
            time.sleep(timeout)
            messages = self._read(max_messages)
        return messages

    def _read(self, max_messages: int) -> list[Message]:
        messages: list[Message] = []
        for (topic, partition), start in sorted(self._position.items()):
            if len(messages) >= max_messages:
                break
            batch = self.log.read(topic, partition, start, max_messages - len(messages))
            if batch:
                self._position[(topic, partition)] = batch[-1].offset + 1
                messages += batch
        return messages

    def commit(self, messages: Sequence[Message]) -> None:
        by_topic: dict[str, dict[int, int]] = {}
        for (topic, partition), offset in next_offsets(messages).items():
            by_topic.setdefault(topic, {})[partition] = offset
        for topic, offsets in by_topic.items():
            self.log.commit(self.group, topic, offsets)

    def close(self) -> None:
        """Nothing to release: uncommitted messages are read again by the next consumer."""
