"""Platform intake through the handler: payments late, twice, or for a cancelled order;
fulfilment refused while a cancellation request holds the order."""

from __future__ import annotations

import json
from typing import Any

from cancelflow import aws
from cancelflow.settings import get_settings

from tests.api.conftest import FrozenClock, call, place_order


def _order(catalog: dict[str, str]) -> dict[str, Any]:
    return place_order(catalog, quantity=2)


def _pay(order: dict[str, Any], payment_id: str) -> Any:
    body = {
        "order_id": order["order_id"],
        "payment_id": payment_id,
        "amount": order["amount"],
        "channel": "wechat_pay",
    }
    return call("POST", "/v1/platform/payments", body, who="platform")


def test_payment_twice_applies_once(catalog: dict[str, str]) -> None:
    """GIVEN an unpaid order WHEN the same payment notification arrives twice THEN paid once,
    the second answer says replayed, nothing refunded."""
    order = _order(catalog)
    first, second = _pay(order, "wx-1"), _pay(order, "wx-1")
    assert first.json["applied"] and not first.json["replayed"]
    assert second.status == 200 and second.json["applied"] and second.json["replayed"]
    assert (
        second.json["order"]["paid_amount"] == order["amount"] == 20000 and second.json["refund_id"] is None
    )


def test_payment_for_cancelled_order_is_refunded_in_full(catalog: dict[str, str]) -> None:
    """GIVEN an order the customer cancelled WHEN its payment arrives THEN recorded, refunded in
    full, and the refund queue told."""
    order = _order(catalog)
    assert (
        call("POST", f"/v1/orders/{order['order_id']}/cancellations", {"action": "self_cancel"}).status == 201
    )
    late = _pay(order, "wx-late")
    assert late.status == 200 and not late.json["applied"] and late.json["refund_id"]
    assert late.json["order"]["status"] == "cancelled" and late.json["order"]["refunded_amount"] == 20000
    r = aws.client("sqs").receive_message(QueueUrl=get_settings().refund_queue_url, MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["refund_id"] for m in r["Messages"]] == [late.json["refund_id"]]


def test_late_payment_after_deadline_is_refunded(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN an unpaid order past its deadline WHEN the payment arrives THEN not applied, refunded."""
    order = _order(catalog)
    frozen.advance(minutes=16)
    late = _pay(order, "wx-after-deadline")
    assert late.status == 200 and not late.json["applied"] and late.json["order"]["status"] == "cancelled"


def test_fulfilment_waits_for_a_held_order(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a paid order with a cancellation request under review WHEN fulfilment starts THEN
    409 ORDER_HELD; after fail/complete steps the states follow."""
    order = _order(catalog)
    _pay(order, "wx-2")
    frozen.advance(minutes=20)
    assert (
        call("POST", f"/v1/orders/{order['order_id']}/cancellations", {"action": "request"}).json["outcome"]
        == "under_review"
    )
    held = call(
        "POST", f"/v1/platform/orders/{order['order_id']}/fulfilment", {"action": "start"}, who="platform"
    )
    assert (held.status, held.code) == (409, "ORDER_HELD")


def test_fulfilment_start_fail_start_complete(catalog: dict[str, str]) -> None:
    """GIVEN a paid order WHEN start, fail, start, complete THEN delivering, paid, delivering, delivered."""
    order = _order(catalog)
    _pay(order, "wx-3")
    path = f"/v1/platform/orders/{order['order_id']}/fulfilment"
    steps = [("start", "delivering"), ("fail", "paid"), ("start", "delivering"), ("complete", "delivered")]
    for action, status in steps:
        r = call(
            "POST",
            path,
            {"action": action, **({"reason": "upstream timeout"} if action == "fail" else {})},
            who="platform",
        )
        assert r.status == 200 and r.json["status"] == status, r.raw
    again = call("POST", path, {"action": "complete"}, who="platform")
    assert (again.status, again.code) == (409, "CONFLICT")
