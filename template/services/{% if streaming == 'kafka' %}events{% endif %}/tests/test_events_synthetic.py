"""Synthetic events: seeded, for the batch's customers, with the batch data's churn signal."""

from datetime import date

from events.synthetic import generate_events
from ingestion.synthetic import generate_customers

DAY = date(2026, 1, 5)


def test_the_same_seed_gives_the_same_events_ids_included() -> None:
    first = generate_events(50, seed=7, day=DAY, customers=100)
    assert first == generate_events(50, seed=7, day=DAY, customers=100)
    assert first != generate_events(50, seed=8, day=DAY, customers=100)
    assert len({event.event_id for event in first}) == 50
    assert all(event.timestamp.date() == DAY for event in first)
    assert {event.customer_id for event in first} <= {f"C{i:07d}" for i in range(100)}


def test_churn_follows_the_batch_datas_signal() -> None:
    events = generate_events(4000, seed=3, day=DAY, customers=10_000)
    churned = [event.payload.churned for event in events]
    engaged = [event.payload.churned for event in events if event.payload.engagement_score > 0.6]
    disengaged = [e.payload.churned for e in events if e.payload.engagement_score < 0.4]
    assert sum(disengaged) / len(disengaged) > 2 * sum(engaged) / len(engaged)
    batch_rate = generate_customers(4000, seed=3)["churned"].mean()
    assert abs(sum(churned) / len(churned) - batch_rate) < 0.04
    assert all(event.event_type == "churned" for event in events if event.payload.churned)
