"""GIVEN an order WHEN it goes through its life THEN state, stock and history follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Outcome, Submission
from cancelflow.domain.products import Channel
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import history, orders, payments, stock

from tests.conftest import NOW


def _statuses(pid: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in stock.product_keys(pid):
        out[k.status] = out.get(k.status, 0) + 1
    return out


def test_self_cancel_releases_stock(catalog: dict[str, str]) -> None:
    pid = catalog["game_card"]
    o = orders.create_order("c1", pid, 2, NOW)
    assert _statuses(pid) == {"available": 18, "reserved": 2}
    r = submit_cancellation.submit(
        "c1", o.order_id, Submission(action=Action.SELF_CANCEL), NOW + timedelta(minutes=1)
    )
    assert r.outcome is Outcome.CANCELLED
    assert r.order.status is OrderStatus.CANCELLED
    assert _statuses(pid) == {"available": 20}
    assert [h.event for h in history.timeline(o.order_id)] == ["order.created", "order.cancelled"]


def test_auto_approved_request_refunds(catalog: dict[str, str]) -> None:
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + timedelta(minutes=1))
    r = submit_cancellation.submit(
        "c1", o.order_id, Submission(action=Action.REQUEST), NOW + timedelta(minutes=2)
    )
    assert r.outcome is Outcome.REFUND_STARTED and r.refund_id
    assert r.order.refunded_amount == o.amount


def test_reviewed_request_holds_and_blocks_delivery(catalog: dict[str, str]) -> None:
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(o.order_id, "pay-2", o.amount, Channel.WECHAT_PAY, NOW + timedelta(minutes=1))
    r = submit_cancellation.submit(
        "c1", o.order_id, Submission(action=Action.REQUEST), NOW + timedelta(minutes=30)
    )
    assert r.outcome is Outcome.UNDER_REVIEW
    with pytest.raises(DomainError) as e:
        orders.start_delivery(o.order_id, NOW + timedelta(minutes=31))
    assert e.value.code == "ORDER_HELD"


def test_late_payment_refunded_once(catalog: dict[str, str]) -> None:
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    late = NOW + timedelta(minutes=20)
    results = [
        payments.confirm_payment(o.order_id, "pay-late", o.amount, Channel.ALIPAY, late) for _ in range(3)
    ]
    assert results[0].refund_id and all(r.refund_id == results[0].refund_id for r in results)
    final = orders.require_order(o.order_id)
    assert final.status is OrderStatus.CANCELLED and final.cancel_reason == "payment_timeout"
    assert final.paid_amount == final.refunded_amount == o.amount


def test_wrong_amount_payment_is_refunded_and_the_right_one_still_applies(catalog: dict[str, str]) -> None:
    """GIVEN an unpaid order WHEN a payment of the wrong amount arrives, then the right one
    THEN the first is recorded and refunded in full (never refused into silence), the order
    stays unpaid until the second, and what may still be refunded is exactly the order's price."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    wrong = payments.confirm_payment(o.order_id, "pay-short", o.amount - 1, Channel.ALIPAY, NOW)
    assert not wrong.applied and wrong.refund_id
    assert wrong.order.status is OrderStatus.PENDING_PAYMENT
    again = payments.confirm_payment(o.order_id, "pay-short", o.amount - 1, Channel.ALIPAY, NOW)
    assert again.replayed and again.refund_id == wrong.refund_id
    right = payments.confirm_payment(o.order_id, "pay-right", o.amount, Channel.WECHAT_PAY, NOW)
    assert right.applied and right.order.status is OrderStatus.PAID
    assert right.order.paid_amount == 2 * o.amount - 1
    assert right.order.refunded_amount == o.amount - 1
    assert right.order.refundable == o.amount
    events = [h.event for h in history.timeline(o.order_id)]
    assert events == ["order.created", "payment.late_refunded", "order.paid"]
    assert history.timeline(o.order_id)[1].reason == "amount_mismatch"


def test_re_adding_a_reserved_key_id_is_refused_and_changes_nothing(catalog: dict[str, str]) -> None:
    """GIVEN a key reserved by an order WHEN the same key id is added to stock again
    THEN CONFLICT, and the key is still reserved for that order (stock conserved)."""
    pid = catalog["game_card"]
    o = orders.create_order("c1", pid, 1, NOW)
    taken = o.key_ids[0]
    with pytest.raises(DomainError) as e:
        stock.add_keys(pid, [("p-fresh-key", "NEW"), (taken, "AGAIN")])
    assert e.value.code == "CONFLICT"
    by_id = {k.key_id: k for k in stock.product_keys(pid)}
    assert by_id[taken].status == "reserved" and by_id[taken].order_id == o.order_id
    assert "p-fresh-key" not in by_id
