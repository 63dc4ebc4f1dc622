"""The versioned event schema: what the consumer accepts, and why it refuses the rest."""

import json

import pytest

from contracts.events import MAX_REASON_CHARS, SCHEMA_VERSION, EventRejected, parse_event
from contracts.privacy import personal_fields

LIMIT = 64 * 1024


def _document(make_event, **changes: object) -> dict[str, object]:
    document: dict[str, object] = json.loads(make_event().to_bytes())
    document.update(changes)
    return document


def test_an_event_survives_the_round_trip(make_event) -> None:
    event = make_event(3)
    assert parse_event(event.to_bytes(), max_bytes=LIMIT) == event
    assert event.schema_version == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "unparseable"),
        (b"\xff\xfe not utf-8", "unparseable"),
        (b"{not json", "unparseable"),
        (b"[1, 2]", "unparseable"),
        (b"x" * (LIMIT + 1), "too_large"),
    ],
)
def test_unusable_bytes_are_refused_with_a_reason(value: bytes | None, kind: str) -> None:
    with pytest.raises(EventRejected) as refused:
        parse_event(value, max_bytes=LIMIT)
    assert refused.value.kind == kind
    assert refused.value.reason


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_another_schema_version_is_refused_before_validation(make_event, version) -> None:
    document = _document(make_event, schema_version=version)
    with pytest.raises(EventRejected) as refused:
        parse_event(json.dumps(document).encode(), max_bytes=LIMIT)
    assert refused.value.kind == "schema_version"


@pytest.mark.parametrize(
    "changes",
    [
        {"event_id": "short"},
        {"customer_id": ""},
        {"event_type": "deleted"},
        {"timestamp": "2026-01-05T10:00:00"},  # no time zone
        {"extra": 1},
        {"payload": {"tenure_months": -1}},
    ],
)
def test_events_breaking_the_contract_are_invalid(make_event, changes) -> None:
    document = _document(make_event, **changes)
    with pytest.raises(EventRejected) as refused:
        parse_event(json.dumps(document).encode(), max_bytes=LIMIT)
    assert refused.value.kind == "invalid"


def test_a_churned_event_must_say_the_customer_churned(make_event) -> None:
    document = _document(make_event, event_type="churned")
    with pytest.raises(EventRejected, match="churned"):
        parse_event(json.dumps(document).encode(), max_bytes=LIMIT)


def test_the_reason_is_bounded_and_never_echoes_the_payload(make_event) -> None:
    secret = "S" * 10_000
    document = _document(make_event, customer_id=secret)
    with pytest.raises(EventRejected) as refused:
        parse_event(json.dumps(document).encode(), max_bytes=LIMIT)
    assert len(refused.value.reason) <= MAX_REASON_CHARS
    assert secret[:100] not in refused.value.reason


def test_the_customer_id_of_an_event_is_marked_personal() -> None:
    marked = {(item.model, item.field) for item in personal_fields()}
    assert ("CustomerEvent", "customer_id") in marked
