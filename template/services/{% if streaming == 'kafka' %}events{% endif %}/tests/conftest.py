"""Settings rooted in a temporary folder, on the embedded event log, and event factories."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from contracts import Settings, get_settings
from contracts.events import CustomerEvent

DAY = date(2026, 1, 5)
MakeEvent = Callable[..., CustomerEvent]


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    for name in ("BOOTSTRAP_SERVERS", "SECURITY_PROTOCOL", "ALLOW_PLAINTEXT", "TOPIC"):
        monkeypatch.delenv(f"APP_KAFKA_{name}", raising=False)
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_CODE_VERSION", "test-sha")
    monkeypatch.setenv("APP_N_ROWS", "500")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture()
def make_event() -> MakeEvent:
    """A valid event; keyword arguments override fields of the event or of its payload."""

    def make(index: int = 0, **changes: object) -> CustomerEvent:
        payload = {
            "tenure_months": 12,
            "monthly_spend": 40.0,
            "engagement_score": 0.5,
            "support_tickets": 1,
            "channel": "web",
            "region": "north",
            "churned": False,
        }
        event: dict[str, object] = {
            "event_id": f"event-{index:06d}",
            "customer_id": f"C{index % 50:07d}",
            "event_type": "profile_updated",
            "timestamp": datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=index),
        }
        for name, value in changes.items():
            (payload if name in payload else event)[name] = value
        return CustomerEvent.model_validate({**event, "payload": payload})

    return make
