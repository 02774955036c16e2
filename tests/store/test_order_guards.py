"""Orders: every lifecycle write is conditional on the version and status it was decided on,
plus whatever else the step needs (no hold, the deadline on the right side). Each test hands
the store a read that is no longer (or never was) what is stored, and finds the write refused
with the order, its keys and the rest of the table unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.domain.models import Order
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import history, keys, orders, payments
from msgspec.structs import replace

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item, put, refused, unchanged


def _cancel(order: Order) -> None:
    orders.cancel_with_refunds(
        order,
        world.later(5),
        actor=Actor.REVIEWER,
        actor_id="r1",
        reason="changed_mind",
        refund_to=RefundTo.ORIGINAL,
    )


def _reads(monkeypatch: pytest.MonkeyPatch, order: Order) -> None:
    """The store's own read of the order returns ``order`` (what it saw before the write)."""
    monkeypatch.setattr(orders.reads, "get_order", lambda order_id: order)


def test_a_change_decided_on_an_older_version_is_refused(product: str) -> None:
    """GIVEN a paid order read at version 2, then a second (wrong-amount) payment recorded and
    refunded on it: still paid, version 3, refunded_amount raised
    WHEN the cancellation decided on version 2 is written (its refund sum from version 2)
    THEN CONFLICT: the order, its reserved key and the refunds are as they were."""
    read = world.paid()
    payments.confirm_payment(read.order_id, "pay-second", 300, Channel.ALIPAY, world.later(1))
    now = orders.require_order(read.order_id)
    assert (now.status, now.version, now.refunded_amount) == (OrderStatus.PAID, read.version + 1, 300)
    keys_ = (world.order_key(read.order_id), world.stock_key(read.key_ids[0]))
    with unchanged(*keys_), pytest.raises(DomainError) as e:
        _cancel(read)
    assert e.value.code == "CONFLICT"


def test_a_change_decided_on_another_status_is_refused(product: str) -> None:
    """GIVEN an order stored as delivered at the very version a caller read it as paid (no
    write path changes a status without a new version; the status clause holds if one does)
    WHEN the cancellation decided on the paid read is written
    THEN CONFLICT: a delivered order is never cancelled."""
    read = world.paid()
    put(item(world.order_key(read.order_id)) | {"status": OrderStatus.DELIVERED.value})
    with unchanged(world.order_key(read.order_id)), pytest.raises(DomainError) as e:
        _cancel(read)
    assert e.value.code == "CONFLICT"


def test_creating_an_order_with_an_id_in_use_is_refused(product: str) -> None:
    """GIVEN an order
    WHEN another order is created with the same id
    THEN CONFLICT: the first order is not overwritten and no key is reserved for the second."""
    first = world.unpaid()
    with unchanged(world.order_key(first.order_id)), pytest.raises(DomainError) as e:
        orders.create_order("c2", product, 1, world.later(1), order_id=first.order_id)
    assert e.value.code == "CONFLICT"


def test_starting_delivery_of_an_order_a_request_holds_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a paid order held by a cancellation request under review, read without the hold
    at the same version
    WHEN fulfilment's start of delivery is written
    THEN CONFLICT: the stock is not locked while a request holds the order."""
    held, _ = world.held(world.paid())
    _reads(monkeypatch, replace(held, open_request_id=None))
    with unchanged(world.order_key(held.order_id)), pytest.raises(DomainError) as e:
        orders.start_delivery(held.order_id, world.later(1))
    assert e.value.code == "CONFLICT"


def test_a_customer_cancel_after_the_payment_deadline_is_refused(product: str) -> None:
    """GIVEN an unpaid order whose deadline has passed, read with a later deadline
    WHEN the customer's cancellation is written
    THEN CONFLICT: past its deadline an order is the system's to expire, not the customer's."""
    o = world.unpaid()
    late = o.payment_deadline + timedelta(minutes=1)
    read = replace(o, payment_deadline=late + timedelta(hours=1))
    keys_ = (world.order_key(o.order_id), world.stock_key(o.key_ids[0]))
    with unchanged(*keys_), pytest.raises(DomainError) as e:
        orders.self_cancel(read, late)
    assert e.value.code == "CONFLICT"


def test_expiring_an_order_before_its_payment_deadline_is_refused(product: str) -> None:
    """GIVEN an unpaid order inside its payment window, read with an earlier deadline
    WHEN its expiry is written
    THEN CONFLICT: the customer can still pay, the keys stay reserved for them."""
    o = world.unpaid()
    read = replace(o, payment_deadline=NOW)
    keys_ = (world.order_key(o.order_id), world.stock_key(o.key_ids[0]))
    with unchanged(*keys_), pytest.raises(DomainError) as e:
        orders.expire_order(read, world.later(1))
    assert e.value.code == "CONFLICT"


def test_a_history_entry_is_written_once(product: str) -> None:
    """GIVEN an order whose creation is on its history (the timeline and the events outbox)
    WHEN an entry with the same key is written again (a replayed step)
    THEN it is refused: an entry is never overwritten, so no event is published twice or lost."""
    o = world.unpaid()
    (entry,) = history.timeline(o.order_id)
    replay = history.entry_put(
        o.order_id,
        at=NOW,
        suffix="v000001",
        event="order.created",
        actor="platform",
        actor_id="someone-else",
    )
    sk = entry.entry_id.removeprefix(f"{o.order_id}:")  # the entry's id is "<order id>:<sort key>"
    assert replay["Put"]["Item"]["sk"] == {"S": sk}
    with unchanged((keys.order_pk(o.order_id), sk)):
        assert refused([replay]) == ["ConditionalCheckFailed"]
