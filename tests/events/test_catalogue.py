"""The catalogue: documented, tied to the history entries the code writes, schemas enforced."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from cancelflow.events.catalogue import BY_HISTORY_EVENT, CATALOGUE
from cancelflow.events.doc import render
from cancelflow.events.outbox import from_history
from cancelflow.events.schemas import event_schema
from cancelflow.store import history
from cancelflow.store.history import Entry

ROOT = Path(__file__).parents[2]
REQUIRED = {
    "order.cancelled",
    "cancellation.requested",
    "review.decided",
    "refund.succeeded",
    "refund.overdue",
    "review.overdue",
    "order.expired",
    "payment.late_refunded",
}


def test_the_document_is_generated_from_the_code() -> None:
    """GIVEN the catalogue WHEN docs/events.md is rendered THEN it equals the committed file
    (regenerate: python -m cancelflow.events.doc > docs/events.md)."""
    assert (ROOT / "docs" / "events.md").read_text(encoding="utf-8") == render()


def test_the_issue_s_events_are_catalogued_and_schemas_are_valid() -> None:
    """GIVEN the catalogue THEN it has every event issue 7 names, and each schema is a valid
    draft 2020-12 schema."""
    assert {t.name for t in CATALOGUE} >= REQUIRED
    for t in CATALOGUE:
        jsonschema.Draft202012Validator.check_schema(event_schema(t.name))


def test_every_mapped_history_event_is_written_somewhere() -> None:
    """GIVEN the history event names the catalogue maps THEN each is written by the shared
    package (a rename there would otherwise silently stop an event)."""
    source = "\n".join(p.read_text() for p in (ROOT / "layers" / "cancelflow").rglob("*.py"))
    written = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', source))
    assert set(BY_HISTORY_EVENT) <= written


def _entry(event: str, detail: dict[str, Any], **top: Any) -> Entry:
    return history.of_item(
        {
            "type": "history",
            "order_id": "o_0123456789abcdef0123",
            "entry_id": f"o_0123456789abcdef0123:HIST#2026-11-27T02:00:00.000Z#{event}",
            "at": "2026-11-27T02:00:00.000Z",
            "event": event,
            "actor": "reviewer",
            "actor_id": "r1",
            "reason": "changed_mind",
            "from_status": "paid",
            "to_status": "paid",
            "detail": detail,
            **top,
        }
    )


@pytest.mark.parametrize(
    ("event", "detail", "expected"),
    [
        (
            "review.decided",
            {
                "task_id": "t1",
                "request_id": "rq1",
                "outcome": "approved",
                "amount": 100,
                "order_cancelled": True,
            },
            {"outcome": "approved", "refund_amount": 100, "order_cancelled": True},
        ),
        ("review.decided", {"task_id": "t1", "request_id": "rq1", "outcome": "rejected", "note": "x"}, {}),
        (
            "review.need_info",
            {"task_id": "t1", "request_id": "rq1", "question": "?"},
            {"outcome": "need_info"},
        ),
        (
            "review.escalated",
            {"task_id": "t1", "request_id": "rq1", "decision_due": "2026-11-27T03:00:00.000Z"},
            {"task_id": "t1"},
        ),
        (
            "cancellation.appealed",
            {"request_id": "rq1", "refund_to": "balance", "evidence": 2},
            {"evidence_count": 2},
        ),
        (
            "request.withdrawn",
            {"request_id": "rq1", "action": "stop_delivery", "task_id": "tk_1"},
            {"request_id": "rq1", "action": "stop_delivery", "task_id": "tk_1"},
        ),
    ],
)
def test_entries_map_to_valid_events(event: str, detail: dict[str, Any], expected: dict[str, Any]) -> None:
    """GIVEN a history entry of a mapped kind WHEN it becomes an event THEN the event's fields
    come from the entry (renamed where documented, internal notes left out) and the whole
    EventBridge event fits the published schema."""
    ev = from_history(_entry(event, detail))
    assert ev is not None
    body = msgspec.to_builtins(ev.detail)
    assert expected.items() <= body.items()
    assert "note" not in body and "question" not in body
    jsonschema.validate(
        {"detail-type": ev.detail_type, "source": "cancelflow", "detail": body}, event_schema(ev.detail_type)
    )


def test_entries_that_are_not_events_are_not_published() -> None:
    """GIVEN timeline-only entries WHEN mapped THEN there is no event."""
    assert from_history(_entry("review.claimed", {"task_id": "t1"})) is None
    assert from_history(_entry("refund.processing", {"refund_id": "rf_1"})) is None


def test_an_entry_missing_a_required_field_is_refused() -> None:
    """GIVEN a review decision without its task id THEN the mapping refuses it (the publisher
    reports it instead of sending an event that breaks its schema)."""
    with pytest.raises(msgspec.ValidationError):
        from_history(_entry("review.decided", {"request_id": "rq1", "outcome": "approved"}))


def test_schemas_reject_what_the_contract_forbids() -> None:
    """GIVEN an otherwise valid event THEN an unknown field, a wrong version or a wrong
    detail-type fails validation."""
    ev = from_history(
        _entry("order.expired", {}, actor="system", actor_id="expiry", reason="payment_timeout")
    )
    assert ev is not None
    detail: dict[str, Any] = msgspec.to_builtins(ev.detail)
    good: dict[str, Any] = {"detail-type": "order.expired", "source": "cancelflow", "detail": detail}
    jsonschema.validate(good, event_schema("order.expired"))
    bad_ones: list[dict[str, Any]] = [
        {**good, "detail": {**detail, "surprise": 1}},
        {**good, "detail": {**detail, "schema_version": "2.0"}},
        {**good, "detail-type": "order.cancelled"},
    ]
    for bad in bad_ones:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, event_schema("order.expired"))
