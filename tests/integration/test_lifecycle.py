"""Lifecycle operations on moto: each is one transaction with one history entry.

GIVEN orders on the embedded DynamoDB WHEN they go through the lifecycle (including duplicate
and late payments and lost races) THEN state, stock, money and history are what docs/domain.md
says ("Order states", "Invariants").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import ddb, history, keys, orders, payments

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, scan_all, stock_counts

M = timedelta(minutes=1)


def _refund(refund_id: str) -> dict[str, Any]:
    item = ddb.get(keys.refund_pk(refund_id), "REFUND")
    assert item is not None
    return item


def test_happy_path_moves_keys_and_records_every_change(catalog: dict[str, str]) -> None:
    """GIVEN a 3-key order WHEN paid, delivered and completed THEN its keys end delivered and the
    history has one entry per change with actor, time and from/to states, in order."""
    pid = catalog["game_card"]
    o = orders.create_order("c1", pid, 3, NOW)
    assert len(set(o.key_ids)) == 3
    assert stock_counts(scan_all(), pid) == {"available": 17, "reserved": 3}
    paid = payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M)
    assert paid.applied and paid.order.status is OrderStatus.PAID and paid.order.paid_amount == 30000
    orders.start_delivery(o.order_id, NOW + 2 * M)
    orders.complete_delivery(o.order_id, NOW + 3 * M)
    done = orders.complete_order(o.order_id, NOW + 3 * M + timedelta(hours=72))
    assert done.status is OrderStatus.COMPLETED and done.version == 5
    items = scan_all()
    assert stock_counts(items, pid) == {"available": 17, "delivered": 3}
    check_invariants(items)
    h = history.timeline(o.order_id)
    assert [(e.event, e.actor, e.from_status, e.to_status) for e in h] == [
        ("order.created", "platform", None, "pending_payment"),
        ("order.paid", "platform", "pending_payment", "paid"),
        ("delivery.started", "platform", "paid", "delivering"),
        ("delivery.completed", "platform", "delivering", "delivered"),
        ("order.completed", "system", "delivered", "completed"),
    ]
    assert iso(h[1].at) == "2026-11-27T02:01:00.000Z" and h[1].detail["payment_id"] == "pay-1"


def test_failed_delivery_returns_to_paid_with_keys_still_reserved(catalog: dict[str, str]) -> None:
    pid = catalog["game_card"]
    o = orders.create_order("c1", pid, 1, NOW)
    payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M)
    orders.start_delivery(o.order_id, NOW + 2 * M)
    back = orders.fail_delivery(o.order_id, NOW + 3 * M, reason="upstream_timeout")
    assert back.status is OrderStatus.PAID and not back.stock_locked
    assert stock_counts(scan_all(), pid) == {"available": 19, "reserved": 1}
    assert history.timeline(o.order_id)[-1].reason == "upstream_timeout"


def test_payment_is_idempotent_per_payment_id(catalog: dict[str, str]) -> None:
    """GIVEN a payment applied WHEN the same notification arrives again THEN it is a replay:
    same result, no new version, no new history entry."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    first = payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M)
    again = payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + 2 * M)
    assert again.replayed and again.applied and again.order.version == first.order.version == 2
    assert len(history.timeline(o.order_id)) == 2


def test_a_second_payment_is_refunded_on_its_own_trade(catalog: dict[str, str]) -> None:
    """GIVEN an order paid by Alipay WHEN a second payment (WeChat, another id) arrives THEN the
    order stays paid and the second payment is refunded in full on the WeChat trade it came from.

    Regression: the refund used to name the first payment's id and channel, refunding a trade
    that was already fully used (or refunded) instead of the duplicate."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M)
    dup = payments.confirm_payment(o.order_id, "pay-2", o.amount, Channel.WECHAT_PAY, NOW + 2 * M)
    assert not dup.applied and dup.refund_id
    assert dup.order.status is OrderStatus.PAID
    assert (dup.order.paid_amount, dup.order.refunded_amount) == (20000, 10000)
    assert dup.order.payment_id == "pay-1" and dup.order.payment_channel is Channel.ALIPAY
    r = _refund(dup.refund_id)
    assert (r["payment_id"], r["channel"], r["amount"], r["paid_amount"]) == (
        "pay-2",
        "wechat_pay",
        10000,
        10000,
    )
    assert r["reason"] == "late_payment"
    check_invariants(scan_all())


def test_late_payment_after_an_auto_approved_cancel_is_refunded_on_the_late_trade(
    catalog: dict[str, str],
) -> None:
    """GIVEN an order paid, then cancelled inside the window (refund 1 on pay-1) WHEN a second
    payment arrives THEN refund 2 is on pay-2 and refunded == paid == 2 x amount."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M)
    sub = submit_cancellation.submit("c1", o.order_id, Submission(action=Action.REQUEST), NOW + 2 * M)
    assert sub.refund_id and _refund(sub.refund_id)["payment_id"] == "pay-1"
    late = payments.confirm_payment(o.order_id, "pay-2", o.amount, Channel.BANK_CARD, NOW + 3 * M)
    assert late.refund_id and _refund(late.refund_id)["payment_id"] == "pay-2"
    assert _refund(late.refund_id)["channel"] == "bank_card"
    final = orders.require_order(o.order_id)
    assert final.status is OrderStatus.CANCELLED and final.paid_amount == final.refunded_amount == 20000


def test_payment_after_the_deadline_expires_the_order_first(catalog: dict[str, str]) -> None:
    """GIVEN an unpaid order past its deadline and no sweep yet WHEN its payment arrives THEN the
    order is expired by the system (payment_timeout, stock released) and the payment refunded."""
    pid = catalog["game_card"]
    o = orders.create_order("c1", pid, 2, NOW)
    r = payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, o.payment_deadline)
    assert not r.applied and r.refund_id
    assert (r.order.status, r.order.cancelled_by, r.order.cancel_reason) == (
        OrderStatus.CANCELLED,
        Actor.SYSTEM,
        "payment_timeout",
    )
    assert [e.event for e in history.timeline(o.order_id)] == [
        "order.created",
        "order.expired",
        "payment.late_refunded",
    ]
    assert stock_counts(scan_all(), pid) == {"available": 20}


def test_payment_that_loses_the_race_with_the_expiry_sweep_is_still_refunded(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a payment reading an overdue order WHEN the sweep expires it first (the payment's own
    expiry then fails its condition) THEN the payment looks again and is refunded, not lost.

    Regression: the CONFLICT of that expiry escaped confirm_payment's retry loop."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    real = orders.expire_order

    def sweep_wins(order: Any, now: Any) -> Any:
        real(order, now)  # the sweep, a moment earlier
        return real(order, now)  # the payment's own attempt, on its stale read: CONFLICT

    monkeypatch.setattr(orders, "expire_order", sweep_wins)
    r = payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + 20 * M)
    assert not r.applied and r.refund_id and r.order.status is OrderStatus.CANCELLED


def test_expiry_releases_stock_and_is_recorded_as_system(catalog: dict[str, str]) -> None:
    pid = catalog["software_license"]
    o = orders.create_order("c1", pid, 2, NOW)
    done = orders.expire_order(o, NOW + 15 * M)
    assert (done.status, done.cancelled_by, done.cancel_reason) == (
        OrderStatus.CANCELLED,
        Actor.SYSTEM,
        "payment_timeout",
    )
    assert "due_pk" not in (ddb.get(keys.order_pk(o.order_id), keys.ORDER) or {})  # leaves the due index
    assert stock_counts(scan_all(), pid) == {"available": 20}
    entry = history.timeline(o.order_id)[-1]
    assert (entry.actor, entry.reason) == ("system", "payment_timeout")


def test_a_concurrent_transaction_is_a_conflict_not_a_crash(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN DynamoDB cancelling a transaction for TransactionConflict on a non-order item (what
    it does when two transactions touch one item at once; moto never does) WHEN an operation
    runs THEN the caller gets CONFLICT (a 409 to retry), not an unhandled error."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)

    def conflict(items: list[dict[str, Any]]) -> None:
        raise ddb.TransactionFailed(["None", "None", "TransactionConflict"])

    monkeypatch.setattr(ddb, "transact", conflict)
    with pytest.raises(DomainError) as e:
        orders.self_cancel(o, NOW + M)
    assert e.value.code == "CONFLICT" and e.value.details["status"] == "pending_payment"


def test_each_operation_returns_exactly_what_was_stored(catalog: dict[str, str]) -> None:
    """GIVEN operations that return the order without reading it back WHEN compared with a read
    THEN they are equal (the version condition makes the local result exact)."""
    o = orders.create_order("c1", catalog["game_card"], 2, NOW)
    steps: list[Callable[[], Order]] = [
        lambda: payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.BANK_CARD, NOW + M).order,
        lambda: (
            submit_cancellation.submit(
                "c1", o.order_id, Submission(action=Action.REQUEST), NOW + 30 * M
            ).order
        ),  # held for review: open_request_id set
    ]
    for step in steps:
        assert step() == orders.require_order(o.order_id)
    d = orders.create_order("c2", catalog["mobile_topup"], 1, NOW)
    payments.confirm_payment(d.order_id, "pay-2", d.amount, Channel.ALIPAY, NOW + M)
    for step in (
        # a top-up's cooling-off (the auto-approval window, 10 minutes) runs first
        lambda: orders.start_delivery(d.order_id, NOW + 12 * M),
        lambda: orders.fail_delivery(d.order_id, NOW + 13 * M),
        lambda: orders.start_delivery(d.order_id, NOW + 14 * M),
        lambda: orders.complete_delivery(d.order_id, NOW + 15 * M),
        lambda: orders.complete_order(d.order_id, NOW + 16 * M),
    ):
        assert step() == orders.require_order(d.order_id)
    e = orders.create_order("c3", catalog["software_license"], 1, NOW)
    assert orders.expire_order(e, NOW + 16 * M) == orders.require_order(e.order_id)
    f = orders.create_order("c3", catalog["software_license"], 1, NOW)
    assert orders.self_cancel(f, NOW + M) == orders.require_order(f.order_id)


def test_auto_approved_requests_count_towards_the_customers_risk(catalog: dict[str, str]) -> None:
    """GIVEN a customer who cancels every paid order inside the auto window WHEN they reach five
    orders (4 requests of 5 = 80 % > 30 %) THEN the fifth request needs review (high risk)
    instead of auto-approval forever, and the statistics count every request.

    Regression: auto-approved requests were not counted, so the risk rule never applied to them."""
    from cancelflow.domain.options import Outcome
    from cancelflow.store import customers, payments

    for i in range(5):
        o = orders.create_order("c9", catalog["game_card"], 1, NOW)
        payments.confirm_payment(o.order_id, f"pay-{i}", o.amount, Channel.ALIPAY, NOW + M)
        r = submit_cancellation.submit("c9", o.order_id, Submission(action=Action.REQUEST), NOW + 2 * M)
        assert r.outcome is (Outcome.REFUND_STARTED if i < 4 else Outcome.UNDER_REVIEW), i
    risk = customers.load_risk("c9", NOW + 3 * M, 30)
    assert (risk.orders, risk.cancellation_requests) == (5, 5)
