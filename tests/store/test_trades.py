"""A refund names the payment it refunds (issue 16, item 3). An order can carry several trades
(a duplicate, a late payment, one of the wrong amount then the right one): each refund goes back
on ONE trade, carries THAT trade's total (WeChat Pay's ``amount.total``) and never more than is
left of it; an order's refunds add up across its trades (docs/domain.md, "Refunds").

GIVEN an order paid through the store's own operations (or, where today's flows cannot reach a
state, one written by hand) WHEN refunds are owed THEN each refund record names its trade and
that trade's total, the trades' books on the order add up, and local.invariants finds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from cancelflow.domain.models import MAX_REFUND_SLICES, Order, Trade
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import ddb, orders, payments, refunds, stock
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from local import invariants
from tests.integration.lifecycle_world import check_invariants, scan_all
from tests.store import world
from tests.store.guard import item, put, unchanged

T1, T2, T3 = world.later(1), world.later(2), world.later(3)
WX = Channel.WECHAT_PAY


def _refund(refund_id: str | None) -> dict[str, Any]:
    assert refund_id is not None
    return item(world.refund_key(refund_id))


def _on(refund_id: str | None) -> tuple[Any, ...]:
    """(trade refunded, that trade's total as sent to the provider, amount, channel)."""
    r = _refund(refund_id)
    return r["payment_id"], r["paid_amount"], r["amount"], r["channel"]


def _trades(order_id: str) -> list[tuple[str, int, int]]:
    return [(t["payment_id"], t["amount"], t["refunded"]) for t in item(world.order_key(order_id))["trades"]]


def _cancel(
    order: Order, amount: int | None = None, to: RefundTo = RefundTo.ORIGINAL
) -> tuple[Order, tuple[str, ...]]:
    return orders.cancel_with_refunds(
        order, T3, actor=Actor.REVIEWER, actor_id="r1", reason="changed_mind", refund_to=to, amount=amount
    )


def _owe(order: Order, amount: int, payment_id: str | None = None) -> tuple[Order, tuple[str, ...]]:
    """A refund without a cancellation, written as the review's approve_refund writes one (the
    refunds and the order's books with an ``orders.Change`` on the version read)."""
    owed = refunds.owe(
        order,
        amount,
        refund_to=RefundTo.ORIGINAL,
        reason="after_sales",
        source="reviewer",
        now=T3,
        payment_id=payment_id,
    )
    change = orders.Change(order, None, "review.decided", Actor.REVIEWER, "r1", T3, set_=owed.sets)
    return orders.run(change, owed.ops), owed.refund_ids


def _with_trades(*trades: tuple[str, int, int]) -> Order:
    """A paid order whose trades are written by hand: several with money left is a state today's
    flows never leave (a payment that is not applied is refunded in full on arrival), but the
    rule must hold for it (an order stored by a future flow, or by hand by support)."""
    o = world.paid()
    stored = item(world.order_key(o.order_id))
    rows = [{"payment_id": p, "channel": "wechat_pay", "amount": a, "refunded": r} for p, a, r in trades]
    put(
        stored
        | {
            "payment_id": trades[0][0],
            "trades": rows,
            "paid_amount": sum(a for _, a, _ in trades),
            "refunded_amount": sum(r for _, _, r in trades),
        }
    )
    return orders.require_order(o.order_id)


# ---------------------------------------------------------------- through the store's own flows


def test_an_order_paid_twice_then_cancelled_has_one_refund_per_trade_each_with_its_total(
    product: str,
) -> None:
    """GIVEN an order paid on WeChat (pay-1) and paid again (pay-2, refunded on arrival)
    WHEN it is cancelled THEN the cancel's refund is on pay-1 with pay-1's total, not the sum of
    both payments (which WeChat refuses); two refunds in all, one per trade."""
    o = world.unpaid()
    payments.confirm_payment(o.order_id, "pay-1", o.amount, WX, T1)
    dup = payments.confirm_payment(o.order_id, "pay-2", o.amount, WX, T2)
    assert dup.order.paid_amount == 2 * o.amount
    assert _on(dup.refund_id) == ("pay-2", o.amount, o.amount, "wechat_pay")
    done, refund_ids = _cancel(dup.order)
    assert done.status is OrderStatus.CANCELLED and len(refund_ids) == 1
    assert _on(refund_ids[0]) == ("pay-1", o.amount, o.amount, "wechat_pay")
    assert _trades(o.order_id) == [("pay-1", o.amount, o.amount), ("pay-2", o.amount, o.amount)]
    assert done.paid_amount == done.refunded_amount == 2 * o.amount
    check_invariants(scan_all())


def test_a_wrong_amount_then_the_right_one_refunds_the_right_trade_with_its_own_total(product: str) -> None:
    """GIVEN a payment of the wrong amount (refunded on arrival), then the right one WHEN the
    order is cancelled THEN the refund is on the right payment with ITS total."""
    o = world.unpaid()
    wrong = payments.confirm_payment(o.order_id, "pay-short", o.amount - 1, Channel.ALIPAY, T1)
    assert _on(wrong.refund_id) == ("pay-short", o.amount - 1, o.amount - 1, "alipay")
    right = payments.confirm_payment(o.order_id, "pay-right", o.amount, WX, T2)
    assert right.applied and right.order.payment_id == "pay-right"
    _, (rid,) = _cancel(right.order)
    assert _on(rid) == ("pay-right", o.amount, o.amount, "wechat_pay")
    assert _trades(o.order_id) == [
        ("pay-short", o.amount - 1, o.amount - 1),
        ("pay-right", o.amount, o.amount),
    ]
    check_invariants(scan_all())


def test_a_late_payment_after_a_cancel_is_refunded_on_its_own_trade_with_its_total(product: str) -> None:
    o = world.paid()
    _, (first,) = _cancel(o)
    late = payments.confirm_payment(o.order_id, "pay-late", o.amount, Channel.BANK_CARD, T3)
    assert _on(first) == (o.payment_id, o.amount, o.amount, "alipay")
    assert _on(late.refund_id) == ("pay-late", o.amount, o.amount, "bank_card")
    assert late.order.status is OrderStatus.CANCELLED and late.order.refundable == 0
    check_invariants(scan_all())


def test_a_refund_to_the_balance_still_counts_against_the_trade_the_money_came_from(product: str) -> None:
    """refund_to=balance: the money goes to the customer's balance, but it came from a trade, so
    that trade's refunded amount rises (nothing may go back on it afterwards) and the refund
    names it."""
    o = world.paid()
    _, (rid,) = _cancel(o, amount=o.amount - 100, to=RefundTo.BALANCE)
    assert _on(rid) == (o.payment_id, o.amount, o.amount - 100, "balance")
    assert _trades(o.order_id) == [(o.payment_id, o.amount, o.amount - 100)]
    check_invariants(scan_all())


# ---------------------------------------------------------------- several trades with money left


def test_a_refund_larger_than_one_trades_remainder_splits_applied_trade_first(product: str) -> None:
    """GIVEN trades A (600, applied) and B (400), both with money left WHEN 800 is refunded THEN
    two refunds: 600 on A with A's total, 200 on B with B's total; then 200 more is B's; then
    nothing is left on either."""
    o = _with_trades(("pay-a", 600, 0), ("pay-b", 400, 0))
    after, ids = _owe(o, 800)
    assert [_on(r) for r in ids] == [("pay-a", 600, 600, "wechat_pay"), ("pay-b", 400, 200, "wechat_pay")]
    assert _trades(o.order_id) == [("pay-a", 600, 600), ("pay-b", 400, 200)]
    assert after.refunded_amount == 800
    after, (rest,) = _owe(after, 200)
    assert _on(rest) == ("pay-b", 400, 200, "wechat_pay")
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _owe(after, 1)
    assert e.value.code == "NOTHING_TO_REFUND"
    check_invariants(scan_all())


def test_the_applied_trade_goes_first_whatever_the_arrival_order(product: str) -> None:
    o = _with_trades(("pay-b", 400, 0), ("pay-a", 600, 0))  # pay-b is the order's payment_id
    _, ids = _owe(o, 500)
    assert [_on(r)[:3] for r in ids] == [("pay-b", 400, 400), ("pay-a", 600, 100)]


def test_a_refund_on_a_named_trade_never_takes_more_than_is_left_of_it(product: str) -> None:
    """GIVEN trade B with 100 left (the order with 700 left in all) WHEN 101 is owed on B THEN
    AMOUNT_INVALID saying 100, nothing written; 100 on B is fine."""
    o = _with_trades(("pay-a", 600, 0), ("pay-b", 400, 300))
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _owe(o, 101, payment_id="pay-b")
    assert (e.value.code, e.value.details["max_amount"]) == ("AMOUNT_INVALID", 100)
    _, (rid,) = _owe(o, 100, payment_id="pay-b")
    assert _on(rid)[:3] == ("pay-b", 400, 100)


def test_a_refund_checked_on_a_stale_read_of_the_trades_is_refused(product: str) -> None:
    """The per-trade check is made in code on the order as read; the order's version condition
    is what makes it safe: GIVEN two refunds of trade B's last 300 decided on the same read
    WHEN both are written THEN the second is CONFLICT and writes nothing (B is not overdrawn)."""
    o, _ = _owe(_with_trades(("pay-a", 600, 0), ("pay-b", 400, 0)), 700)  # 600 on A, 100 on B
    _owe(o, 300, payment_id="pay-b")
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _owe(o, 300, payment_id="pay-b")  # ``o`` is the read from before the first refund
    assert e.value.code == "CONFLICT"
    assert _trades(o.order_id) == [("pay-a", 600, 600), ("pay-b", 400, 400)]
    check_invariants(scan_all())


def test_a_refund_over_more_trades_than_one_transaction_may_carry_is_refused_clearly(product: str) -> None:
    n = MAX_REFUND_SLICES + 2
    o = _with_trades(*((f"pay-{i}", 100, 0) for i in range(n)))
    with unchanged(world.order_key(o.order_id)), pytest.raises(DomainError) as e:
        _owe(o, 100 * n)
    assert (e.value.code, e.value.details["max_amount"]) == ("AMOUNT_INVALID", 100 * MAX_REFUND_SLICES)
    _, ids = _owe(o, 100 * MAX_REFUND_SLICES)
    assert len(ids) == MAX_REFUND_SLICES


def test_an_order_stored_before_trades_reads_as_one_trade_and_is_stored_with_it(product: str) -> None:
    """GIVEN an order item without ``trades`` (stored before they were recorded) WHEN it is
    cancelled THEN its refund is on its payment with its total, and the order now stores it."""
    o = world.paid()
    stored = item(world.order_key(o.order_id))
    put({k: v for k, v in stored.items() if k != "trades"})
    legacy = orders.require_order(o.order_id)
    assert [(t.payment_id, t.amount, t.refunded) for t in legacy.trades] == [(o.payment_id, o.amount, 0)]
    _, (rid,) = _cancel(legacy)
    assert _on(rid) == (o.payment_id, o.amount, o.amount, "alipay")
    assert _trades(o.order_id) == [(o.payment_id, o.amount, o.amount)]


def test_the_invariant_checker_sees_a_refund_that_overdraws_its_trade(product: str) -> None:
    """The per-trade invariant can fail: a refund item on trade B larger than B is reported even
    when the order's own sums agree."""
    o = _with_trades(("pay-a", 600, 0), ("pay-b", 400, 0))
    _, (rid,) = _owe(o, 300, payment_id="pay-b")
    put(item(world.refund_key(rid)) | {"amount": 500})
    forged = item(world.order_key(o.order_id)) | {
        "refunded_amount": 500,
        "trades": [
            {"payment_id": "pay-a", "channel": "wechat_pay", "amount": 600, "refunded": 0},
            {"payment_id": "pay-b", "channel": "wechat_pay", "amount": 400, "refunded": 500},
        ],
    }
    put(forged)
    found = invariants.check(scan_all())
    assert not found["refunded <= paid, refunds add up to the order's refunded amount"]
    assert any("pay-b" in v for v in found[next(k for k in found if "per trade" in k)])


# ---------------------------------------------------------------- properties

TOPUP = "p-trades-topup"
PRICE = 1000


@pytest.fixture
def topup(aws: dict[str, str]) -> str:
    """A top-up product (no keys: the property makes many orders, none runs out of stock)."""
    stock.put_product(TOPUP, ProductType.MOBILE_TOPUP, PRICE, "话费", "top-up")
    return TOPUP


PROVIDERS = [Channel.ALIPAY, Channel.WECHAT_PAY, Channel.BANK_CARD]
# a payment: the right amount (0), or off by these fen
PAY = st.tuples(st.just("pay"), st.sampled_from([0, 0, -1, 1, -PRICE + 1]), st.sampled_from(PROVIDERS))
REFUND = st.tuples(st.just("refund"), st.integers(min_value=1, max_value=2 * PRICE), st.booleans())
CANCEL = st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=PRICE), st.booleans())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(PAY, REFUND, CANCEL), min_size=1, max_size=7))
def test_property_any_payments_and_refunds_keep_every_trades_books(
    topup: str, steps: list[tuple[str, int, Any]]
) -> None:
    """GIVEN any sequence of payments (right, wrong amount, duplicate, late), partial refunds
    (on the order or on one trade) and cancels of one order WHEN each runs THEN it is refused
    exactly when it asks for more than is left (of the order, or of the trade named), and
    after each step: the order's trades are its payments in arrival order, every refund is on
    one of them with its total, refunded <= paid per trade and per order (local.invariants)."""
    o = orders.create_order("c1", topup, 1, T1, target="13800000000")
    paid: list[tuple[str, int]] = []
    for n, (kind, x, flag) in enumerate(steps):
        order = orders.require_order(o.order_id)
        if kind == "pay":
            pid = f"pay-{o.order_id}-{n}"
            payments.confirm_payment(o.order_id, pid, PRICE + x, flag, T2)
            paid.append((pid, PRICE + x))
        elif kind == "cancel" and order.status is not OrderStatus.PAID:
            continue  # a cancel with refund is for paid orders (the others are other paths)
        else:
            target = (
                next((t for t in order.trades if flag and t.refundable), None) if kind == "refund" else None
            )
            left = target.refundable if target is not None else order.refundable
            amount = x or order.refundable
            try:
                if kind == "refund":
                    _owe(order, amount, target.payment_id if target else None)
                else:
                    _cancel(order, amount)
            except DomainError as e:
                assert e.code in ("AMOUNT_INVALID", "NOTHING_TO_REFUND") and amount > left, e
                assert orders.require_order(o.order_id) == order  # nothing written
                event(f"{kind}: refused")
            else:
                assert amount <= left
                event(f"{kind}: {'on a named trade' if target else 'on the order'}")
        stored = orders.require_order(o.order_id)
        assert [(t.payment_id, t.amount) for t in stored.trades] == paid
        assert all(0 <= t.refunded <= t.amount for t in stored.trades)
        assert stored.refunded_amount == sum(t.refunded for t in stored.trades) <= stored.paid_amount
    check_invariants(scan_all())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    trades=st.lists(
        # (total, already refunded): often nothing yet, so that splits over several trades happen
        st.tuples(
            st.integers(min_value=1, max_value=500), st.just(0) | st.integers(min_value=0, max_value=500)
        ),
        min_size=1,
        max_size=MAX_REFUND_SLICES + 2,
    ),
    amount=st.integers(min_value=1, max_value=1500),
    named=st.none() | st.integers(min_value=0, max_value=MAX_REFUND_SLICES + 1),
)
def test_property_a_refund_splits_within_each_trade_and_adds_up(
    aws: dict[str, str], trades: list[tuple[int, int]], amount: int, named: int | None
) -> None:
    """Over any trades (any totals, any part already refunded) and any amount, on the order or
    on one trade, ``refunds.owe`` (no write) either refuses or gives refunds that: add up to the
    amount, each on one trade with that trade's total and within its remainder, the applied
    trade first; and books on the order that add up (per trade and in all)."""
    rows = tuple(Trade(f"pay-{i}", WX, a, min(r, a)) for i, (a, r) in enumerate(trades))
    order = Order(
        order_id="o_" + "0" * 20,
        customer_id="c1",
        product_id=TOPUP,
        product_type=ProductType.MOBILE_TOPUP,
        quantity=1,
        amount=PRICE,
        status=OrderStatus.COMPLETED,
        version=3,
        created_at=T1,
        payment_deadline=T2,
        payment_id="pay-0",
        payment_channel=WX,
        paid_amount=sum(t.amount for t in rows),
        refunded_amount=sum(t.refunded for t in rows),
        trades=rows,
    )
    pid = f"pay-{named}" if named is not None else None
    pool = [t for t in rows if pid is None or t.payment_id == pid]
    left = min(order.refundable, sum(t.refundable for t in pool))
    try:
        owed = refunds.owe(
            order, amount, refund_to=RefundTo.ORIGINAL, reason="x", source="reviewer", now=T3, payment_id=pid
        )
    except DomainError as e:
        needed = len([t for t in pool if t.refundable])  # an upper bound on the slices it needed
        assert amount > left or needed > MAX_REFUND_SLICES, e
        event("refused")
        return
    assert amount <= left
    made = [refunds.decode(ddb.from_item(op["Put"]["Item"])) for op in owed.ops]
    assert sum(r.amount for r in made) == amount
    by_id = {t.payment_id: t for t in rows}
    for r in made:
        t = by_id[str(r.payment_id)]
        assert r.paid_amount == t.amount and 0 < r.amount <= t.refundable
    assert len({r.payment_id for r in made}) == len(made) <= MAX_REFUND_SLICES
    event(f"split over {len(made)} trade(s)")
    if pid is None and rows[0].refundable:
        assert made[0].payment_id == "pay-0"  # the applied trade first
    after = owed.sets["trades"]
    assert [t.payment_id for t in after] == [t.payment_id for t in rows]
    assert all(0 <= t.refunded <= t.amount for t in after)
    assert owed.sets["refunded_amount"] == sum(t.refunded for t in after) == order.refunded_amount + amount
