"""``events``: produce synthetic customer events, consume them into the lake, read dead letters.

Exit codes (``contracts.cli.ExitCode``): 0 done; 2 bad arguments or configuration; 4 the event
log or the lake is unavailable (broker unreachable, delivery failed, disk full); 3 corrupt lake
data; 143/130 stopped by SIGTERM/SIGINT (offsets of the batch in hand not committed: it is
delivered again and deduplicated).
"""

import argparse
import json
import sys
from datetime import UTC, date, datetime

from contracts import lineage
from contracts.cli import (
    EXIT_OK,
    UnavailableError,
    configure_logging,
    iso_date,
    load_settings,
    positive_int,
    run_command,
)
from events import clients
from events.consumer import ConsumeReport, consume
from events.log import LogError
from events.synthetic import generate_events

PROG = "events"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Customer events: produce, consume into the lake, dead letters."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    produce = commands.add_parser("produce", help="Send seeded synthetic customer events")
    produce.add_argument("--count", type=positive_int, default=200)
    produce.add_argument("--seed", type=int, help="Random seed (default: APP_SEED)")
    produce.add_argument("--date", type=iso_date, help="Day of the events (default: today, UTC)")
    consume_cmd = commands.add_parser("consume", help="Append new events to the lake")
    consume_cmd.add_argument("--follow", action="store_true", help="Run until stopped")
    consume_cmd.add_argument("--batch-size", type=positive_int, default=500)
    consume_cmd.add_argument(
        "--idle-seconds",
        type=float,
        help="Stop after this long without a message (default: 0 embedded, 10 Kafka)",
    )
    dead = commands.add_parser("dead-letters", help="Print the dead letters (one JSON a line)")
    dead.add_argument("--limit", type=positive_int, default=100)
    return parser


def _produce(args: argparse.Namespace) -> int:
    settings = load_settings()
    day: date = args.date or datetime.now(UTC).date()
    seed = settings.seed if args.seed is None else args.seed
    events = generate_events(args.count, seed=seed, day=day, customers=settings.n_rows)
    parameters: dict[str, str | int | float | bool] = {
        "topic": settings.kafka_topic,
        "events": len(events),
        "day": day.isoformat(),
        "seed": seed,
    }
    with lineage.run("events-produce", settings=settings, parameters=parameters):
        producer = clients.producer(settings)
        for event in events:
            producer.send(settings.kafka_topic, event.customer_id.encode(), event.to_bytes())
        producer.flush()
    print(f"{len(events)} events of {day} sent to {settings.kafka_topic}")
    return EXIT_OK


def _print_batch(report: ConsumeReport) -> None:
    print(
        f"{report.messages} messages: {report.new_events} new events, "
        f"{report.duplicates} duplicates, {report.dead_letters} dead letters"
    )


def _consume(args: argparse.Namespace) -> int:
    settings = load_settings()
    kafka = clients.uses_kafka(settings)
    idle = args.idle_seconds if args.idle_seconds is not None else (10.0 if kafka else 0.0)
    consumer = clients.consumer(settings, [settings.kafka_topic])
    try:
        report = consume(
            settings,
            consumer,
            clients.producer(settings),
            batch_size=args.batch_size,
            timeout=1.0 if kafka or args.follow else 0.0,
            idle_seconds=idle,
            follow=args.follow,
            on_batch=_print_batch if args.follow else None,
        )
    finally:
        consumer.close()
    reasons = ", ".join(f"{kind} {count}" for kind, count in sorted(report.reasons.items()))
    print(
        f"consumed {report.messages} messages: {report.new_events} new events, "
        f"{report.duplicates} duplicates, {report.dead_letters} dead letters"
        + (f" ({reasons})" if reasons else "")
    )
    for partition in report.updated:
        print(f"updated {partition}")
    return EXIT_OK


def _dead_letters(args: argparse.Namespace) -> int:
    settings = load_settings()
    consumer = clients.consumer(
        settings.model_copy(update={"kafka_group_id": f"{settings.kafka_group_id}-inspect"}),
        [settings.kafka_dlq_topic],
    )
    try:
        messages = consumer.poll(args.limit, 5.0 if clients.uses_kafka(settings) else 0.0)
    finally:
        consumer.close()
    for message in messages:
        print(json.dumps(json.loads(message.value or b"{}"), sort_keys=True))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "produce":
            return _produce(args)
        if args.command == "consume":
            return _consume(args)
        return _dead_letters(args)
    except LogError as exc:
        raise UnavailableError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    return run_command(PROG, lambda: _run(args))


if __name__ == "__main__":
    sys.exit(main())
