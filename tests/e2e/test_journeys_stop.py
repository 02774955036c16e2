"""Journeys of a stop-delivery as a handshake with fulfilment (docs/domain.md, "Stop delivery"):
the customer asks over HTTP, fulfilment answers on its route, nobody else settles it."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import (
    CHECKED,
    PLATFORM,
    REVIEWER,
    Api,
    cancel,
    claim,
    customer,
    decide,
    detail,
    fulfil,
    new_order,
    open_task,
    pay,
    try_claim,
)

COOLING_OFF_S = 10 * 60  # a top-up's default: the auto-approval window (docs/domain.md, "Cooling-off")


def _stop_requested(
    api: Api, price: int = 10000, kind: str = "game_card"
) -> tuple[str, Any, dict[str, Any], str]:
    """A paid order in delivery whose customer asked to stop it: (product, customer, order, request)."""
    pid, cust = api.product(kind, price=price), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    if kind == "mobile_topup":  # top-ups keep the cooling-off (the auto-approval window) first
        api.advance(COOLING_OFF_S + 1)
    fulfil(api, order["order_id"], "start")
    r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    return pid, cust, order, r.json()["request_id"]


def test_fulfilment_aborts_and_the_order_is_refunded_with_no_reviewer(api: Api) -> None:
    """GIVEN a stop-delivery on a delivering order WHEN fulfilment reads the abort on its order
    and answers `aborted` THEN the order is cancelled by the platform and refunded in full, its
    key quarantined, the request approved by fulfilment and its task closed, with no reviewer;
    the same answer again changes nothing."""
    pid, cust, order, request_id = _stop_requested(api, price=7700)
    oid = order["order_id"]
    seen = api.ok("GET", f"/v1/platform/orders/{oid}", PLATFORM)
    assert seen["abort_requested_at"] and seen["held"] is True and seen["status"] == "delivering"
    task = open_task(api, oid)
    assert task["abort_asked_at"]
    assert try_claim(api, REVIEWER, task["task_id"]) is None  # nothing to decide before the answer
    api.error(
        api.call("POST", f"/v1/orders/{oid}/cancellations/{request_id}/withdraw", cust, {}),
        409,
        "ABORT_PENDING",
    )
    done = fulfil(api, oid, "aborted")
    assert done["status"] == "cancelled" and done["cancelled_by"] == "platform"
    assert done["abort_requested_at"] is None and done["held"] is False
    d = detail(api, cust, oid)
    assert d["order"]["refunded_amount"] == 7700
    assert [x["amount"] for x in d["cancellation"]["refunds"]] == [7700]
    assert api.stock(pid)["quarantined"] == 1 and api.stock(pid)["available"] == 4
    again = fulfil(api, oid, "aborted")
    assert again == done  # a repeated answer returns the cancelled order as it is
    assert detail(api, cust, oid)["order"]["refunded_amount"] == 7700  # money moved once
    api.error(decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED), 409)


def test_fulfilment_delivered_turns_the_stop_into_an_appeal(api: Api) -> None:
    """GIVEN a stop-delivery on a delivering order WHEN fulfilment answers that it delivered
    (its complete) THEN the order is delivered, the abort is over, the request is still held
    and a reviewer decides it as an appeal (a refund, never a cancellation)."""
    _pid, cust, order, _request_id = _stop_requested(api)
    oid = order["order_id"]
    done = fulfil(api, oid, "complete")
    assert done["status"] == "delivered" and done["abort_requested_at"] is None and done["held"] is True
    task = open_task(api, oid)
    claim(api, REVIEWER, task["task_id"])
    r = decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED, note="delivered before the stop")
    assert r.status_code == 200 and r.json()["outcome"] == "converted_to_appeal", r.text
    assert detail(api, cust, oid)["order"]["status"] == "delivered"


def test_an_abort_nobody_asked_for_is_refused(api: Api) -> None:
    """GIVEN an order in delivery with no stop request WHEN fulfilment answers `aborted` THEN
    it is refused (ABORT_NOT_REQUESTED) and the order is unchanged."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    fulfil(api, order["order_id"], "start")
    r = api.call(
        "POST", f"/v1/platform/orders/{order['order_id']}/fulfilment", PLATFORM, {"action": "aborted"}
    )
    api.error(r, 409, "ABORT_NOT_REQUESTED")
    assert detail(api, cust, order["order_id"])["order"]["status"] == "delivering"


def test_a_top_ups_answer_carries_the_upstreams_word(api: Api) -> None:
    """GIVEN a mobile top-up's stop-delivery WHEN fulfilment answers `aborted` without the
    upstream's word THEN it is refused (VALIDATION_FAILED, field upstream) and nothing changes;
    WHEN it answers `aborted` with `already_credited` THEN that is the `delivered` answer: the
    order is delivered, still held, and the request is reviewed as an appeal."""
    _pid, _cust, order, _request_id = _stop_requested(api, price=5000, kind="mobile_topup")
    oid = order["order_id"]
    r = api.call("POST", f"/v1/platform/orders/{oid}/fulfilment", PLATFORM, {"action": "aborted"})
    assert api.error(r, 422, "VALIDATION_FAILED")["details"]["field"] == "upstream"
    still = api.ok("GET", f"/v1/platform/orders/{oid}", PLATFORM)
    assert still["status"] == "delivering" and still["abort_requested_at"]
    done = fulfil(api, oid, "aborted", upstream="already_credited")
    assert done["status"] == "delivered" and done["held"] is True and done["abort_requested_at"] is None
    task = open_task(api, oid)
    assert claim(api, REVIEWER, task["task_id"])["task_id"] == task["task_id"]


def test_a_top_up_the_upstream_reversed_is_refunded(api: Api) -> None:
    """GIVEN a mobile top-up's stop-delivery WHEN fulfilment answers `aborted` with `reversed`
    THEN the order is cancelled and refunded in full, and the cancellation's record (as the
    reviewer's history shows it) keeps the upstream's word."""
    _pid, cust, order, _request_id = _stop_requested(api, price=5000, kind="mobile_topup")
    oid = order["order_id"]
    task = open_task(api, oid)
    done = fulfil(api, oid, "aborted", upstream="reversed")
    assert done["status"] == "cancelled" and detail(api, cust, oid)["order"]["refunded_amount"] == 5000
    history = api.ok("GET", f"/v1/reviews/{task['task_id']}", REVIEWER)["history"]
    cancelled = [e for e in history if e["event"] == "order.cancelled"]
    assert [e["detail"]["upstream"] for e in cancelled] == ["reversed"], cancelled
