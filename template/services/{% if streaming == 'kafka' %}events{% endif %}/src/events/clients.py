"""Which adapter of the event log port runs: Kafka when bootstrap servers are set, else embedded."""

from collections.abc import Sequence

from contracts import Settings
from events.log import Consumer, EmbeddedLog, Producer


def embedded_log(settings: Settings) -> EmbeddedLog:
    return EmbeddedLog(settings.event_log_dir, partitions=settings.kafka_partitions)


def uses_kafka(settings: Settings) -> bool:
    return bool(settings.kafka_bootstrap_servers.strip())


def producer(settings: Settings) -> Producer:
    if uses_kafka(settings):
        from events import kafka  # confluent-kafka only when a broker is configured

        return kafka.Producer(settings)
    return embedded_log(settings).producer()


def consumer(settings: Settings, topics: Sequence[str]) -> Consumer:
    if uses_kafka(settings):
        from events import kafka

        return kafka.Consumer(settings, topics)
    return embedded_log(settings).consumer(settings.kafka_group_id, topics)
