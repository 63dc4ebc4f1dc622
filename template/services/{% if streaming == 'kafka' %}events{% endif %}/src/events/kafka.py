"""The event log port on a real Kafka broker, with confluent-kafka (librdkafka).

Producer: ``enable.idempotence`` (no duplicates or reordering on retries) and ``acks=all`` (a
message is acknowledged once every in-sync replica has it); ``flush`` fails unless every message
was delivered. Consumer: no auto-commit and no auto offset store (``commit`` is the only way an
offset moves, and the consumer calls it after the lake write); ``isolation.level=read_committed``
(messages of aborted transactions are never read).
"""

from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as KafkaProducer

from contracts import Settings
from contracts.cli import CommandError
from events.auth import oauth_cb
from events.log import LogError, Message, next_offsets


def client_config(settings: Settings) -> dict[str, Any]:
    """What producer and consumer share: the brokers, TLS and the workload's OAUTHBEARER token."""
    protocol = settings.kafka_security_protocol or "SASL_SSL"
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": protocol,
        "message.max.bytes": settings.kafka_max_message_bytes + 4096,
    }
    if protocol.startswith("SASL"):
        if oauth_cb is None:
            raise CommandError(
                "SASL needs a cloud identity, and this project has none: set "
                "APP_KAFKA_SECURITY_PROTOCOL=SSL, or PLAINTEXT with APP_KAFKA_ALLOW_PLAINTEXT=1"
            )
        config["sasl.mechanisms"] = settings.kafka_sasl_mechanism
        config["oauth_cb"] = oauth_cb
    return config


class Producer:
    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._failures: list[str] = []
        self._producer = KafkaProducer(
            {
                **client_config(settings),
                "enable.idempotence": True,
                "acks": "all",
                "compression.type": "zstd",
            }
        )

    def _delivered(self, error: KafkaError | None, _message: object) -> None:
        if error is not None:
            self._failures.append(str(error))

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        try:
            self._producer.produce(topic, value=value, key=key, on_delivery=self._delivered)
        except BufferError:
            self._producer.poll(1.0)  # the local queue is full: serve callbacks, then retry
            self._producer.produce(topic, value=value, key=key, on_delivery=self._delivered)
        except KafkaException as exc:
            raise LogError(f"cannot send to {topic}: {exc}") from None
        self._producer.poll(0)

    def flush(self) -> None:
        left = self._producer.flush(self.timeout)
        failures, self._failures = self._failures, []
        if left or failures:
            detail = failures[0] if failures else f"{left} still queued after {self.timeout}s"
            raise LogError(f"{left + len(failures)} messages not delivered: {detail}")


class Consumer:
    def __init__(self, settings: Settings, topics: Sequence[str]) -> None:
        self._consumer = KafkaConsumer(
            {
                **client_config(settings),
                "group.id": settings.kafka_group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "fetch.max.bytes": 50 * settings.kafka_max_message_bytes,
            }
        )
        self._consumer.subscribe(list(topics))

    def poll(self, max_messages: int, timeout: float) -> list[Message]:
        try:
            raw = self._consumer.consume(num_messages=max_messages, timeout=timeout)
        except KafkaException as exc:
            raise LogError(f"cannot poll: {exc}") from None
        messages = []
        for item in raw:
            error = item.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                raise LogError(f"cannot poll: {error}")
            messages.append(
                Message(item.topic(), item.partition(), item.offset(), item.key(), item.value())
            )
        return messages

    def commit(self, messages: Sequence[Message]) -> None:
        offsets = [
            TopicPartition(topic, partition, offset)
            for (topic, partition), offset in sorted(next_offsets(messages).items())
        ]
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise LogError(f"cannot commit offsets: {exc}") from None

    def close(self) -> None:
        self._consumer.close()
