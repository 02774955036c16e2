"""Completion, at the store: what delivery fixes (the window's end, the due index entry) and
what the sweep's conditional write does with a due, a not-yet-due and a stale copy.
GIVEN a delivered order WHEN its window ends THEN it reads completed at once, and the sweep's
write stores exactly that instant; a copy the order has moved on from is refused, not written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.clock import iso
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import ddb, history, orders, requests
from cancelflow.store.schema import GSI_DUE
from msgspec.structs import replace

from tests.store import world
from tests.store.guard import item

WINDOW = timedelta(hours=72)  # game card (world.PRODUCT)


def _completed_entries(order_id: str) -> list[history.Entry]:
    return [e for e in history.timeline(order_id) if e.event == "order.completed"]


def test_a_delivered_order_reads_completed_from_its_window_end(product: str) -> None:
    d = world.delivered()
    ends = d.delivered_at + WINDOW  # type: ignore[operator]
    assert d.confirmation_ends_at == ends
    stored = orders.require_order(d.order_id)
    assert stored.effective_status(ends - timedelta(milliseconds=1)) is OrderStatus.DELIVERED
    shown = stored.as_of(ends)
    assert (shown.status, shown.completed_at) == (OrderStatus.COMPLETED, ends)
    assert stored.status is OrderStatus.DELIVERED  # nothing written by reading


def test_the_sweep_write_completes_at_the_window_end_once(product: str) -> None:
    d = world.delivered()
    ends = d.confirmation_ends_at
    assert ends is not None
    now = ends + timedelta(minutes=7)  # the sweep runs a little later
    done = orders.complete_due(d, now)
    stored = item(world.order_key(d.order_id))
    assert done == orders.require_order(d.order_id)
    assert (stored["status"], stored["completed_at"]) == ("completed", iso(ends))
    assert "due_pk" not in stored and "due_at" not in stored  # left the completion index
    (entry,) = _completed_entries(d.order_id)
    assert (entry.actor, entry.actor_id, entry.from_status, entry.to_status) == (
        "system",
        "confirmation",
        "delivered",
        "completed",
    )
    assert entry.at == now and entry.detail == {"completed_at": iso(ends)}
    # what a read showed before the write is what it shows after
    assert done.as_of(now) == replace(d.as_of(now), version=done.version)
    # the same (now stale) copy again: refused with the order as stored, nothing written
    with pytest.raises(orders.OrderConflict) as e:
        orders.complete_due(d, now)
    assert e.value.found is not None and e.value.found.status is OrderStatus.COMPLETED
    assert len(_completed_entries(d.order_id)) == 1


def test_not_before_the_window_ends(product: str) -> None:
    d = world.delivered()
    ends = d.confirmation_ends_at
    assert ends is not None
    before = item(world.order_key(d.order_id))
    with pytest.raises(DomainError) as e:
        orders.complete_due(d, ends - timedelta(seconds=1))
    assert e.value.code == "CONFLICT"
    assert item(world.order_key(d.order_id)) == before


def test_the_stored_window_decides_not_the_copy(product: str) -> None:
    """GIVEN a copy claiming an earlier window end than stored WHEN the sweep writes with it
    THEN the condition on the stored window refuses it (the copy's version is current)."""
    d = world.delivered()
    ends = d.confirmation_ends_at
    assert ends is not None
    forged = replace(d, confirmation_ends_at=ends - timedelta(hours=1))
    with pytest.raises(orders.OrderConflict):
        orders.complete_due(forged, ends - timedelta(minutes=30))
    assert orders.require_order(d.order_id).status is OrderStatus.DELIVERED


def test_an_order_changed_since_the_copy_is_decided_on_what_is_stored(product: str) -> None:
    """GIVEN a delivered order held by an appeal after the copy was read WHEN the sweep writes
    with the copy THEN it is refused with the order as stored, which is still due: a second
    write with that completes it, the appeal's hold intact (a held appeal is decided later,
    as a refund of a completed order)."""
    d = world.delivered()
    held, request = requests.open_for_review(d, Submission(action=Action.APPEAL), world.later(5))
    now = d.confirmation_ends_at + timedelta(minutes=1)  # type: ignore[operator]
    with pytest.raises(orders.OrderConflict) as e:
        orders.complete_due(d, now)
    found = e.value.found
    assert found is not None and found.version == held.version and found.held
    done = orders.complete_due(found, now)
    assert done.status is OrderStatus.COMPLETED and done.open_request_id == request.request_id


def test_completing_on_request_after_the_window_keeps_the_window_end(product: str) -> None:
    d = world.delivered()
    ends = d.confirmation_ends_at
    assert ends is not None
    early = world.delivered()
    assert orders.complete_order(d.order_id, ends + timedelta(hours=5)).completed_at == ends
    at = world.later(30)
    assert orders.complete_order(early.order_id, at).completed_at == at  # confirmed before the end


def test_delivery_puts_the_order_in_the_completion_index(product: str) -> None:
    d = world.delivered()
    assert d.confirmation_ends_at is not None
    part = item(world.order_key(d.order_id))["due_pk"]
    due = ddb.query_all(
        GSI_DUE, "due_pk = :p AND due_at <= :t", {":p": part, ":t": iso(d.confirmation_ends_at)}
    )
    assert d.order_id in {i["order_id"] for i in due}
    early = ddb.query_all(
        GSI_DUE, "due_pk = :p AND due_at < :t", {":p": part, ":t": iso(d.confirmation_ends_at)}
    )
    assert d.order_id not in {i["order_id"] for i in early}
