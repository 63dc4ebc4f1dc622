"""The consumer: events from the log into the lake, each event id once, bad ones dead-lettered.

One cycle: poll a batch; parse each message (``contracts.events.parse_event``); send the refused
ones to the dead-letter topic with their reason and wait until that is durable; append the good
ones to the raw events zone (durable before it returns); fold them into the day's raw customer
table (the features step's input); only then commit the offsets. A crash anywhere before the
commit redelivers the batch: the lake drops the event ids it holds and the fold changes nothing,
so nothing is lost and nothing is written twice. A crash after the commit lost nothing either:
the batch was durable before it.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from contracts import Settings, lineage
from contracts.events import CustomerEvent, EventRejected, bounded, parse_event
from events.lake import append_events, update_customers
from events.log import Consumer, Message, Producer

logger = logging.getLogger(__name__)
JOB = "events-consume"
# What a dead letter keeps of the refused message: enough to inspect and replay a fix.
MAX_DEAD_LETTER_VALUE_BYTES = 4096


@dataclass
class ConsumeReport:
    messages: int = 0
    new_events: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    updated: list[str] = field(default_factory=list)


def dead_letter(message: Message, rejected: EventRejected) -> bytes:
    """The DLQ record: why, where it came from, and the start of what was sent."""
    value = message.value or b""
    record = {
        "reason": rejected.kind,
        "detail": rejected.reason,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "value_bytes": len(value),
        "value_head": bounded(
            value[:MAX_DEAD_LETTER_VALUE_BYTES].decode("utf-8", "replace"),
            MAX_DEAD_LETTER_VALUE_BYTES,
        ),
    }
    return json.dumps(record, sort_keys=True).encode("utf-8")


def consume_batch(
    settings: Settings, consumer: Consumer, producer: Producer, messages: list[Message]
) -> ConsumeReport:
    """Handle one polled batch end to end and commit it (see the module docstring)."""
    report = ConsumeReport(messages=len(messages))
    events: list[CustomerEvent] = []
    for message in messages:
        try:
            events.append(parse_event(message.value, max_bytes=settings.kafka_max_message_bytes))
        except EventRejected as rejected:
            producer.send(settings.kafka_dlq_topic, message.key, dead_letter(message, rejected))
            report.dead_letters += 1
            report.reasons[rejected.kind] = report.reasons.get(rejected.kind, 0) + 1
            logger.warning(
                "dead-lettered %s[%d]@%d: %s",
                message.topic,
                message.partition,
                message.offset,
                rejected,
            )
    producer.flush()  # the dead letters are durable before their offsets can be committed
    if events:
        with lineage.run(JOB, settings=settings, parameters={"messages": len(messages)}) as run:
            written = append_events(settings, events, source=f"topic {settings.kafka_topic}")
            report.new_events = sum(written.values())
            report.duplicates = len(events) - report.new_events
            run.outputs.append(lineage.dataset(settings.events_dir))
            for day in sorted(written):
                updated = update_customers(settings, day)
                if updated is not None:
                    report.updated.append(str(updated))
            run.parameters.update(new_events=report.new_events, duplicates=report.duplicates)
    consumer.commit(messages)
    return report


def consume(
    settings: Settings,
    consumer: Consumer,
    producer: Producer,
    *,
    batch_size: int = 500,
    timeout: float = 1.0,
    idle_seconds: float = 0.0,
    follow: bool = False,
    on_batch: Callable[[ConsumeReport], None] | None = None,
) -> ConsumeReport:
    """Consume until nothing new came for ``idle_seconds`` (``follow``: until a signal)."""
    total = ConsumeReport()
    last_message = time.monotonic()
    while True:
        messages = consumer.poll(batch_size, timeout)
        if not messages:
            if follow or time.monotonic() - last_message < idle_seconds:
                continue
            return total
        last_message = time.monotonic()
        report = consume_batch(settings, consumer, producer, messages)
        if on_batch is not None:
            on_batch(report)
        total.messages += report.messages
        total.new_events += report.new_events
        total.duplicates += report.duplicates
        total.dead_letters += report.dead_letters
        for kind, count in report.reasons.items():
            total.reasons[kind] = total.reasons.get(kind, 0) + count
        total.updated += [path for path in report.updated if path not in total.updated]
