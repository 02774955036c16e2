"""Customer journeys of the cancel step, over HTTP through the local runtime."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import PLATFORM, Api, cancel, customer, detail, eventually, fulfil, new_order, pay


def test_self_cancel_of_an_unpaid_order_gives_the_stock_back(api: Api) -> None:
    """GIVEN an unpaid order for 2 keys (stock reserved)
    WHEN its customer self-cancels THEN it is cancelled at once and both keys are available again."""
    pid, cust = api.product(keys=5), customer()
    order = new_order(api, cust, pid, quantity=2)
    assert order["status"] == "pending_payment"
    assert api.stock(pid) == {"available": 3, "reserved": 2, "quarantined": 0, "delivered": 0, "voided": 0}
    opts = api.ok("GET", f"/v1/orders/{order['order_id']}/cancellation-options", cust)
    assert next(a for a in opts["actions"] if a["action"] == "self_cancel")["allowed"] is True
    r = cancel(api, cust, order["order_id"], action="self_cancel", reason_code="changed_mind")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "cancelled"
    assert api.stock(pid) == {"available": 5, "reserved": 0, "quarantined": 0, "delivered": 0, "voided": 0}
    d = detail(api, cust, order["order_id"])
    assert d["order"]["status"] == "cancelled" and d["order"]["cancelled_by"] == "customer"
    events = [e["event"] for e in api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)["entries"]]
    assert events == ["order.created", "order.cancelled"]


def test_another_customer_cannot_see_or_cancel_the_order(api: Api) -> None:
    """GIVEN someone else's order WHEN a customer reads or cancels it THEN 404, and nothing changes."""
    pid, owner, other = api.product(), customer(), customer()
    order = new_order(api, owner, pid)
    api.error(api.call("GET", f"/v1/orders/{order['order_id']}", other), 404, "ORDER_NOT_FOUND")
    api.error(cancel(api, other, order["order_id"], action="self_cancel"), 404, "ORDER_NOT_FOUND")
    assert detail(api, owner, order["order_id"])["order"]["status"] == "pending_payment"


def test_auto_approved_cancel_creates_the_refund_at_once(api: Api) -> None:
    """GIVEN an order paid a minute ago (inside the auto-approval window)
    WHEN its customer asks to cancel THEN it is cancelled with a full refund record, no reviewer."""
    pid, cust = api.product(price=12300), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "wechat_pay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="duplicate_order")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["outcome"] == "refund_started" and out["refund_id"]
    d = detail(api, cust, order["order_id"])
    assert d["order"]["status"] == "cancelled" and d["order"]["refunded_amount"] == 12300
    [refund] = d["cancellation"]["refunds"]
    assert refund["refund_id"] == out["refund_id"] and refund["amount"] == 12300
    assert refund["channel"] == "wechat_pay"
    assert api.stock(pid)["available"] == 5  # the key went back


def test_outside_the_window_the_request_goes_to_review_and_holds_the_order(api: Api) -> None:
    """GIVEN an order paid 11 minutes ago (business clock moved on)
    WHEN its customer asks to cancel THEN it is under review, held: fulfilment cannot start,
    and the review queue's consumer took the message (nothing left, nothing in the DLQ)."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    api.advance(11 * 60)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "under_review"
    d = detail(api, cust, order["order_id"])
    assert d["order"]["held"] is True and d["order"]["status"] == "paid"
    held = api.call(
        "POST", f"/v1/platform/orders/{order['order_id']}/fulfilment", PLATFORM, {"action": "start"}
    )
    api.error(held, 409, "ORDER_HELD")

    def drained() -> bool:
        q = api.status()["queues"]["review"]
        return bool(q["visible"] == 0 and q["in_flight"] == 0 and q["dlq"] == 0)

    eventually(drained)


def test_the_same_idempotency_key_acts_once(api: Api) -> None:
    """GIVEN a self-cancel sent twice with one Idempotency-Key
    WHEN both answers come back THEN they are identical and the order was cancelled once."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    key = uuid.uuid4().hex
    path = f"/v1/orders/{order['order_id']}/cancellations"
    first = api.call("POST", path, cust, {"action": "self_cancel"}, Idempotency_Key=key)
    second = api.call("POST", path, cust, {"action": "self_cancel"}, Idempotency_Key=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = api.call(
        "POST", path, cust, {"action": "self_cancel", "reason_code": "other"}, Idempotency_Key=key
    )
    api.error(other, 409)
    events = [e["event"] for e in api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)["entries"]]
    assert events.count("order.cancelled") == 1


def test_a_late_payment_is_refunded_in_full_automatically(api: Api) -> None:
    """GIVEN an unpaid order whose payment deadline has passed (clock moved 16 minutes)
    WHEN the payment arrives, three times THEN the order is cancelled (payment_timeout),
    one full refund exists, and refunded equals paid."""
    pid, cust = api.product(price=5000), customer()
    order = new_order(api, cust, pid)
    api.advance(16 * 60)
    pid_ = f"pay-late-{uuid.uuid4().hex[:8]}"
    answers = [pay(api, order, "alipay", payment_id=pid_) for _ in range(3)]
    assert answers[0]["applied"] is False and answers[0]["refund_id"]
    assert {a["refund_id"] for a in answers} == {answers[0]["refund_id"]}
    d = detail(api, cust, order["order_id"])
    assert d["order"]["status"] == "cancelled" and d["order"]["cancel_reason"] == "payment_timeout"
    assert d["order"]["paid_amount"] == d["order"]["refunded_amount"] == 5000
    assert [r["refund_id"] for r in d["cancellation"]["refunds"]] == [answers[0]["refund_id"]]
    assert api.stock(pid)["available"] == 5


def test_stop_delivery_request_goes_to_review(api: Api) -> None:
    """GIVEN a paid order being delivered WHEN its customer asks to stop the delivery
    THEN the request is under review and the order held."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    pay(api, order)
    fulfil(api, order["order_id"], "start")
    blocked = cancel(api, cust, order["order_id"], action="request")
    api.error(blocked, 409, "ORDER_DELIVERING")
    r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "under_review"
    assert detail(api, cust, order["order_id"])["order"]["held"] is True


def test_expired_orders_read_as_cancelled_before_any_sweep(api: Api) -> None:
    """GIVEN an unpaid order WHEN the clock passes its deadline THEN the customer sees it cancelled
    and self-cancel answers ORDER_EXPIRED."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    api.advance(15 * 60 + 1)
    assert detail(api, cust, order["order_id"])["order"]["status"] == "cancelled"
    api.error(cancel(api, cust, order["order_id"], action="self_cancel"), 409, "ORDER_EXPIRED")


def test_the_expiry_schedule_cancels_an_unpaid_order_and_releases_its_stock(api: Api) -> None:
    """GIVEN an unpaid order holding 2 keys WHEN business time passes its payment deadline
    THEN the expiry schedule (run by the clock move) cancels it as the system, with reason
    payment_timeout, and the keys are available again, without anyone calling the API."""
    pid, cust = api.product(keys=4), customer()
    order = new_order(api, cust, pid, quantity=2)
    assert api.stock(pid)["reserved"] == 2
    moved = api.advance(15 * 60 + 5)
    assert "expire_orders" in moved["ticked"]
    sweep = api.status()["schedules"]["last_results"]["expire_orders"]
    assert api.stock(pid) == {"available": 4, "reserved": 0, "quarantined": 0, "delivered": 0, "voided": 0}, (
        sweep
    )
    d = detail(api, cust, order["order_id"])["order"]
    assert (d["status"], d["cancelled_by"], d["cancel_reason"]) == ("cancelled", "system", "payment_timeout")
    events = [e["event"] for e in api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)["entries"]]
    assert events == ["order.created", "order.expired"]
