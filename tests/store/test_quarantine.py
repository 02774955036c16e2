"""Quarantine at the store (docs/domain.md, "Quarantine"): a cancellation of an order that reached
delivering puts its keys in quarantine, never back in stock; support releases a quarantined key
to stock or voids it, with reason and actor in the order's history; each decision is one
conditional write, so a key is decided once, and a refused decision changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.store import history, orders, payments, quarantine, stock

from local import invariants
from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item, refused, stored, table, unchanged

CHECK_FAILED = ["ConditionalCheckFailed"]


def _cancel(order: Order, at: datetime | None = None) -> Order:
    done, _ = orders.cancel_with_refunds(
        order,
        at or world.later(5),
        actor=Actor.REVIEWER,
        actor_id="r1",
        reason="changed_mind",
        refund_to=RefundTo.ORIGINAL,
    )
    return done


def _status(kid: str) -> str:
    return str(item(world.stock_key(kid))["status"])


def _settle(kid: str, to: stock.KeyStatus, reason: str = "checked the supplier's log") -> stock.StockKey:
    return quarantine.settle(world.PRODUCT, kid, to, now=world.later(10), actor_id="sup-1", reason=reason)


def _consistent() -> None:
    from cancelflow import aws
    from cancelflow.store import ddb

    violations = invariants.check(invariants.scan(aws.dynamodb(), ddb.table()))
    assert not any(violations.values()), violations


def _quarantined_key() -> tuple[Order, str]:
    o = _cancel(world.delivering())
    (kid,) = o.key_ids
    return o, kid


# ---------------------------------------------------------------- into quarantine


def test_cancelling_a_delivering_order_quarantines_its_keys_not_stock(product: str) -> None:
    """GIVEN an order being delivered WHEN it is cancelled THEN its key is quarantined (naming
    the order, since the cancellation), not in the stock index, listed for support, and the
    cancellation's history entry names it; no new order can get it."""
    o, kid = _quarantined_key()
    key = item(world.stock_key(kid))
    assert key["status"] == stock.QUARANTINED and key["order_id"] == o.order_id
    assert key["quarantined_at"] == iso(world.later(5))  # the cancellation's moment
    assert "stock_pk" not in key and key["status_pk"].startswith("STOCK#quarantined#")
    listed, _ = quarantine.quarantined(None, 10, "sup-1")
    assert [(k.key_id, k.order_id) for k in listed] == [(kid, o.order_id)]
    cancelled = [h for h in history.timeline(o.order_id) if h.event is history.HistoryEvent.ORDER_CANCELLED]
    assert cancelled[0].detail["quarantined_keys"] == [kid]
    assert stock.counts(product)["quarantined"] == 1 and stock.counts(product)["available"] == 3
    _consistent()


def test_an_order_whose_delivery_failed_still_quarantines_its_keys(product: str) -> None:
    """GIVEN an order that reached delivering, then failed delivery (back to paid) WHEN it is
    cancelled THEN its key is quarantined too: reaching delivering is what counts."""
    o = world.delivering()
    o = orders.fail_delivery(o.order_id, world.later(1))
    o = _cancel(o)
    assert _status(o.key_ids[0]) == stock.QUARANTINED
    _consistent()


def test_an_order_cancelled_before_delivery_releases_its_keys_to_stock(product: str) -> None:
    """GIVEN a paid order that never reached delivering WHEN it is cancelled THEN its key is
    available again (the rule only applies once delivery started)."""
    o = _cancel(world.paid())
    assert _status(o.key_ids[0]) == stock.AVAILABLE
    assert quarantine.quarantined(None, 10, "sup-1")[0] == []
    _consistent()


def test_quarantining_a_delivered_key_or_another_orders_key_is_refused(product: str) -> None:
    """GIVEN a key delivered to order A, and a key reserved by order B WHEN a quarantine of the
    first for A, or of the second for another order, is written THEN both are refused."""
    a = world.delivered()
    b = world.unpaid()
    with unchanged(world.stock_key(a.key_ids[0]), world.stock_key(b.key_ids[0])):
        assert refused([quarantine.quarantine_op(product, a.key_ids[0], a.order_id, NOW)]) == CHECK_FAILED
        assert refused([quarantine.quarantine_op(product, b.key_ids[0], "o_other", NOW)]) == CHECK_FAILED


# ---------------------------------------------------------------- out of quarantine


def test_support_releases_a_quarantined_key_to_stock_with_reason_and_actor(product: str) -> None:
    """GIVEN a quarantined key WHEN support releases it THEN it is available (in the stock index,
    tied to no order, off the list), the order's history says who and why, and a new order can
    reserve it."""
    o, kid = _quarantined_key()
    out = _settle(kid, stock.AVAILABLE, "never sent to the supplier")
    assert out.status is stock.AVAILABLE and out.order_id is None
    key = item(world.stock_key(kid))
    assert key["status"] == stock.AVAILABLE and "order_id" not in key and "status_pk" not in key
    assert key["stock_pk"] == stock.index_partition(product, kid)
    (entry,) = [h for h in history.timeline(o.order_id) if h.event is history.HistoryEvent.KEY_RELEASED]
    assert (entry.actor.value, entry.actor_id, entry.reason) == (
        "support",
        "sup-1",
        "never sent to the supplier",
    )
    assert entry.detail == {"product_id": product, "key_id": kid, "to": "available"}
    assert quarantine.quarantined(None, 10, "sup-1")[0] == []
    _consistent()
    # all four keys are available again: an order of four gets the released one too
    again = orders.create_order("c2", product, 4, world.later(20))
    assert kid in again.key_ids


def test_support_voids_a_quarantined_key_and_it_is_never_sold(product: str) -> None:
    """GIVEN a quarantined key WHEN support voids it THEN it is voided (not in stock, off the
    list), the history says who and why, and the product has one key fewer to sell."""
    o, kid = _quarantined_key()
    out = _settle(kid, stock.VOIDED, "may have been shown")
    assert out.status is stock.VOIDED and out.order_id == o.order_id
    key = item(world.stock_key(kid))
    assert key["status"] == stock.VOIDED and "stock_pk" not in key and "status_pk" not in key
    (entry,) = [h for h in history.timeline(o.order_id) if h.event is history.HistoryEvent.KEY_VOIDED]
    assert (entry.actor.value, entry.actor_id, entry.reason) == ("support", "sup-1", "may have been shown")
    assert stock.counts(product) == {
        "available": 3,
        "reserved": 0,
        "delivered": 0,
        "quarantined": 0,
        "voided": 1,
    }
    _consistent()
    with pytest.raises(DomainError) as e:
        orders.create_order("c2", product, 4, world.later(20))
    assert e.value.code == "OUT_OF_STOCK"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (stock.AVAILABLE, stock.AVAILABLE),  # released twice
        (stock.AVAILABLE, stock.VOIDED),  # voided after release
        (stock.VOIDED, stock.AVAILABLE),  # released after void
        (stock.VOIDED, stock.VOIDED),
    ],
)
def test_a_key_is_decided_once_a_second_decision_changes_nothing(
    product: str, first: stock.KeyStatus, second: stock.KeyStatus
) -> None:
    """GIVEN a quarantined key already released or voided WHEN support decides on it again THEN
    KEY_NOT_QUARANTINED with the status it has, and nothing is written (never double-available,
    no second history entry)."""
    _, kid = _quarantined_key()
    _settle(kid, first)
    with unchanged(world.stock_key(kid)), pytest.raises(DomainError) as e:
        _settle(kid, second)
    assert e.value.code == "KEY_NOT_QUARANTINED" and e.value.details["status"] == first.value


def test_a_decision_on_a_stale_read_is_refused_by_the_write(product: str) -> None:
    """GIVEN support's read of a quarantined key, and the key released by someone else after
    that read WHEN the write decided on the read is sent THEN the key's condition refuses it,
    and the refusal says what the key is now (the race is decided by the write, not the read)."""
    _, kid = _quarantined_key()
    read = quarantine.get_key(product, kid)
    assert read is not None and read.quarantined_at is not None
    _settle(kid, stock.AVAILABLE)
    with unchanged(world.stock_key(kid)):
        assert refused([quarantine._settle_op(read, read.quarantined_at, stock.VOIDED, world.later(11))]) == (
            CHECK_FAILED
        )
    # and through settle itself: its read sees the stale key, its write is refused
    stale = quarantine.get_key

    def old_read(product_id: str, key_id: str) -> stock.StockKey | None:
        return read if key_id == kid else stale(product_id, key_id)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(quarantine, "get_key", old_read)
        with unchanged(world.stock_key(kid)), pytest.raises(DomainError) as e:
            _settle(kid, stock.VOIDED)
    assert e.value.code == "KEY_NOT_QUARANTINED" and e.value.details["status"] == "available"


def test_a_key_quarantined_again_is_not_decided_on_its_earlier_quarantine(product: str) -> None:
    """GIVEN a key read while quarantined, then released, sold and quarantined again by another
    order's cancellation WHEN the write decided on the first read is sent THEN it is refused:
    it names the earlier order and moment, so it cannot decide the new quarantine."""
    _, kid = _quarantined_key()
    read = quarantine.get_key(product, kid)
    assert read is not None and read.quarantined_at is not None
    _settle(kid, stock.AVAILABLE)
    # take every key, so the released one is in this order; deliver-start it; cancel it
    o = world.unpaid(world.later(20), quantity=4)
    assert kid in o.key_ids
    payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, world.later(20))
    o = orders.start_delivery(o.order_id, world.later(40))
    _cancel(o, world.later(41))
    assert _status(kid) == stock.QUARANTINED
    with unchanged(world.stock_key(kid)):
        assert refused([quarantine._settle_op(read, read.quarantined_at, stock.VOIDED, world.later(42))]) == (
            CHECK_FAILED
        )


# ---------------------------------------------------------------- bad input


def test_an_unknown_key_is_key_not_found_and_changes_nothing(product: str) -> None:
    """GIVEN no such key (or no such product) WHEN support releases or voids it THEN
    KEY_NOT_FOUND and the table is unchanged."""
    before = table()
    for pid, kid in ((product, "k-none"), ("p-none", "k0")):
        for to in (stock.AVAILABLE, stock.VOIDED):
            with pytest.raises(DomainError) as e:
                quarantine.settle(pid, kid, to, now=NOW, actor_id="sup-1", reason="x")
            assert e.value.code == "KEY_NOT_FOUND"
    assert table() == before


@pytest.mark.parametrize("state", ["available", "reserved", "delivered"])
def test_a_key_that_is_not_quarantined_is_refused_and_unchanged(product: str, state: str) -> None:
    """GIVEN a key available, reserved or delivered WHEN support releases or voids it THEN
    KEY_NOT_QUARANTINED with its status, and nothing is written (a reserved key is not taken
    from its order, a delivered one not put back in stock)."""
    kid = "k3"
    if state == "reserved":
        kid = world.unpaid().key_ids[0]
    elif state == "delivered":
        kid = world.delivered().key_ids[0]
    assert stored(world.stock_key(kid)) is not None
    for to in (stock.AVAILABLE, stock.VOIDED):
        with unchanged(world.stock_key(kid)), pytest.raises(DomainError) as e:
            _settle(kid, to)
        assert e.value.code == "KEY_NOT_QUARANTINED" and e.value.details["status"] == state


def test_settle_takes_only_release_or_void(product: str) -> None:
    """GIVEN a quarantined key WHEN asked to make it reserved or delivered THEN refused before
    any write: support's decision has two outcomes only."""
    _, kid = _quarantined_key()
    with unchanged(world.stock_key(kid)):
        for to in (stock.RESERVED, stock.DELIVERED, stock.QUARANTINED):
            with pytest.raises(ValueError):
                _settle(kid, to)


# ---------------------------------------------------------------- the list


def test_the_quarantine_list_pages_oldest_first_with_order_and_time(product: str) -> None:
    """GIVEN three keys quarantined at different times WHEN support lists them one per page THEN
    every key comes exactly once with its order and since when, and a cursor is bound to its
    caller."""
    made = {}
    for minutes in (1, 2, 3):
        o = _cancel(world.delivering(), world.later(minutes))
        made[o.key_ids[0]] = o.order_id
    seen: list[stock.StockKey] = []
    cursor = None
    pages = 0
    while True:
        page, cursor = quarantine.quarantined(cursor, 1, "sup-1")
        seen += page
        pages += 1
        if cursor is None:
            break
        assert pages < 50
    assert {k.key_id: k.order_id for k in seen} == made and len(seen) == 3
    assert all(k.quarantined_at is not None for k in seen)
    _, cursor = quarantine.quarantined(None, 1, "sup-1")
    assert cursor is not None
    with pytest.raises(DomainError) as e:
        quarantine.quarantined(cursor, 1, "sup-2")
    assert e.value.code == "VALIDATION_FAILED"
