"""Support's tools at the store (docs/domain.md, "Support's tools"): a lost payment confirmed by
support is the payment notification's own write, applied once per payment id, with support,
who and the note in the history; a staff cancel is the cancellation every path makes, with
actor support: a paid order refunded in full, its keys back to stock or voided (quarantined
once delivery started, unless voided); refused (changing nothing) for an order cancelled,
delivered or held; a race with the customer's own cancel is decided by the version condition."""

from __future__ import annotations

import pytest
from cancelflow.domain.products import Channel
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.domain.support import Restock, StaffCancelReason
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import history, orders, payments, stock
from cancelflow.support import staff_cancel as staff_cancel_uc

from tests.store import world
from tests.store.guard import item, unchanged
from tests.store.test_quarantine import _consistent

NOTE = "provider console shows the trade as paid"


def _entries(order_id: str, event: history.HistoryEvent) -> list[history.Entry]:
    return [h for h in history.timeline(order_id) if h.event is event]


def _support_confirms(
    order_id: str, payment_id: str, amount: int, minutes: float = 1
) -> payments.PaymentResult:
    return payments.confirm_payment(
        order_id,
        payment_id,
        amount,
        Channel.WECHAT_PAY,
        world.later(minutes),
        actor=Actor.SUPPORT,
        actor_id="sup-1",
        note=NOTE,
    )


# ---------------------------------------------------------------- lost payment


def test_a_lost_payment_confirmed_twice_is_applied_once_and_says_support(product: str) -> None:
    """GIVEN an unpaid order whose callback never came WHEN support confirms the payment twice
    THEN the order is paid once (one trade, paid_amount the order's), the second is a replay,
    and the history's one order.paid entry is support's, with who and the note."""
    o = world.unpaid()
    first = _support_confirms(o.order_id, "trade-1", o.amount)
    assert first.applied and not first.replayed and first.order.status is OrderStatus.PAID
    with unchanged(world.order_key(o.order_id)):
        again = _support_confirms(o.order_id, "trade-1", o.amount, minutes=2)
    assert again.applied and again.replayed
    stored = orders.require_order(o.order_id)
    assert stored.paid_amount == o.amount and len(stored.trades) == 1
    (entry,) = _entries(o.order_id, history.HistoryEvent.ORDER_PAID)
    assert (entry.actor, entry.actor_id) == (Actor.SUPPORT, "sup-1")
    assert entry.detail["note"] == NOTE and entry.detail["payment_id"] == "trade-1"
    _consistent()


def test_the_late_callback_after_supports_confirmation_is_a_replay(product: str) -> None:
    """GIVEN a payment support confirmed WHEN the provider's callback finally arrives with the
    same trade THEN it is a replay: nothing changes; another amount under that id is
    PAYMENT_CONFLICT and changes nothing."""
    o = world.unpaid()
    _support_confirms(o.order_id, "trade-2", o.amount)
    with unchanged(world.order_key(o.order_id)):
        late = payments.confirm_payment(o.order_id, "trade-2", o.amount, Channel.WECHAT_PAY, world.later(3))
        assert late.replayed
        with pytest.raises(DomainError) as e:
            _support_confirms(o.order_id, "trade-2", o.amount + 1, minutes=4)
    assert e.value.code is ErrorCode.PAYMENT_CONFLICT


def test_a_lost_payment_for_an_expired_order_is_refunded_in_full_by_support(product: str) -> None:
    """GIVEN an order past its payment deadline WHEN support confirms its payment THEN the
    order is expired and the money refunded in full on that trade, the entry support's."""
    o = world.unpaid()
    late = _support_confirms(o.order_id, "trade-3", o.amount, minutes=24 * 60)
    assert not late.applied and late.refund_id and late.order.status is OrderStatus.CANCELLED
    assert int(item(world.refund_key(late.refund_id))["amount"]) == o.amount
    (entry,) = _entries(o.order_id, history.HistoryEvent.PAYMENT_LATE_REFUNDED)
    assert (entry.actor, entry.actor_id, entry.detail["note"]) == (Actor.SUPPORT, "sup-1", NOTE)
    _consistent()


def test_the_platforms_own_payment_still_names_the_payment_service(product: str) -> None:
    o = world.paid()
    (entry,) = _entries(o.order_id, history.HistoryEvent.ORDER_PAID)
    assert (entry.actor, entry.actor_id) == (Actor.PLATFORM, "payment-service")
    assert "note" not in entry.detail


# ---------------------------------------------------------------- staff cancel


def _staff(order: orders.Order, void: bool, minutes: float = 5) -> tuple[orders.Order, tuple[str, ...]]:
    return orders.staff_cancel(
        order, world.later(minutes), actor_id="sup-1", reason="fraud", note="stolen card", void_keys=void
    )


def test_staff_cancel_of_a_paid_order_refunds_in_full_and_voids_its_keys(product: str) -> None:
    """GIVEN a paid order WHEN support cancels it for fraud with restock void THEN it is
    cancelled by support (reason, note), one full refund to the original channel, and its key
    voided (never back on sale)."""
    o = world.paid()
    done, (rid,) = _staff(o, void=True)
    assert done.status is OrderStatus.CANCELLED and done.cancelled_by == "support"
    refund = item(world.refund_key(rid))
    assert int(refund["amount"]) == o.amount and refund["refund_to"] == "original"
    (kid,) = o.key_ids
    assert item(world.stock_key(kid))["status"] == stock.VOIDED
    assert stock.counts(product)["voided"] == 1 and stock.counts(product)["available"] == 3
    (entry,) = _entries(o.order_id, history.HistoryEvent.ORDER_CANCELLED)
    assert (entry.actor, entry.actor_id, entry.reason) == (Actor.SUPPORT, "sup-1", "fraud")
    assert entry.detail["note"] == "stolen card" and entry.detail["voided_keys"] == [kid]
    _consistent()


def test_staff_cancel_with_stock_releases_keys_or_keeps_them_quarantined(product: str) -> None:
    """GIVEN a paid order and a delivering one WHEN support cancels each with restock stock
    THEN the first's key is available again; the second's is quarantined (a person releases it),
    never back on sale; WITH void a delivering order's key is voided, not quarantined."""
    a = world.paid()
    _staff(a, void=False)
    assert item(world.stock_key(a.key_ids[0]))["status"] == stock.AVAILABLE
    b = world.delivering()
    _staff(b, void=False)
    assert item(world.stock_key(b.key_ids[0]))["status"] == stock.QUARANTINED
    c = world.delivering()
    _staff(c, void=True)
    assert item(world.stock_key(c.key_ids[0]))["status"] == stock.VOIDED
    assert "quarantined_keys" not in _entries(c.order_id, history.HistoryEvent.ORDER_CANCELLED)[0].detail
    _consistent()


def test_staff_cancel_of_an_unpaid_order_cancels_without_refund(product: str) -> None:
    o = world.unpaid()
    done, refund_ids = _staff(o, void=False)
    assert done.status is OrderStatus.CANCELLED and refund_ids == ()
    assert item(world.stock_key(o.key_ids[0]))["status"] == stock.AVAILABLE
    _consistent()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (world.delivered, ErrorCode.ORDER_NOT_CANCELLABLE),
        (lambda: world.held(world.paid())[0], ErrorCode.CANCELLATION_IN_PROGRESS),
    ],
)
def test_staff_cancel_refuses_delivered_or_held_orders_changing_nothing(
    product: str, make: object, code: ErrorCode
) -> None:
    o = make()  # type: ignore[operator]
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _staff(o, void=True)
    assert e.value.code is code


def test_a_second_staff_cancel_is_order_cancelled_and_changes_nothing(product: str) -> None:
    o = world.paid()
    done, _ = _staff(o, void=True)
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _staff(done, void=False, minutes=6)
    assert e.value.code is ErrorCode.ORDER_CANCELLED


def test_a_race_with_the_customers_own_cancel_is_decided_by_the_write(product: str) -> None:
    """GIVEN support read an unpaid order WHEN its customer cancels it first THEN support's
    cancel on that read is refused by the version condition, changing nothing, and the use
    case says the order is cancelled (the customer's cancel stands)."""
    o = world.unpaid()
    customer = orders.self_cancel(o, world.later(1))
    with unchanged(world.order_key(o.order_id)):
        with pytest.raises(orders.OrderConflict):
            _staff(o, void=True)  # the stale read
        with pytest.raises(DomainError) as e:
            staff_cancel_uc.cancel(
                o.order_id, StaffCancelReason.FRAUD, "stolen", Restock.VOID, "sup-1", world.later(2)
            )
    assert e.value.code is ErrorCode.ORDER_CANCELLED
    assert orders.require_order(o.order_id).cancelled_by == customer.cancelled_by == "customer"
    assert item(world.stock_key(o.key_ids[0]))["status"] == stock.AVAILABLE
    _consistent()
