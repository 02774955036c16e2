"""Journeys through the review step: a person decides over HTTP from the reviewer routes."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import (
    CHECKED,
    REVIEWER,
    REVIEWER_2,
    SENIOR,
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


def _reviewed_order(api: Api, price: int = 10000) -> tuple[str, tuple[str, str], dict[str, Any], str]:
    """A paid order whose cancel request went to review (paid 11 minutes before asking)."""
    pid, cust = api.product(price=price), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    api.advance(11 * 60)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    return pid, cust, order, r.json()["request_id"]


def test_a_reviewed_request_approved_cancels_and_refunds(api: Api) -> None:
    """GIVEN a cancel request under review WHEN a reviewer claims it, sees the order and the
    customer's risk, and approves with the three checks THEN the order is cancelled, the key
    is back in stock, the refund exists, and the timeline shows the review."""
    pid, cust, order, request_id = _reviewed_order(api, price=8800)
    task = open_task(api, order["order_id"])
    assert task["request_id"] == request_id
    claim(api, REVIEWER, task["task_id"])
    seen = api.ok("GET", f"/v1/reviews/{task['task_id']}", REVIEWER)
    assert seen["order"]["order_id"] == order["order_id"] and "high_risk" in seen["risk"]
    api.error(decide(api, REVIEWER, task["task_id"], "approve"), 422, "CHECKLIST_INCOMPLETE")
    api.error(decide(api, REVIEWER_2, task["task_id"], "approve", checklist=CHECKED), 409, "LEASE_NOT_HELD")
    r = decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED, note="duplicate, verified")
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "approved" and r.json()["refund_id"]
    d = detail(api, cust, order["order_id"])
    assert d["order"]["status"] == "cancelled" and d["order"]["held"] is False
    assert d["order"]["refunded_amount"] == 8800
    assert [x["amount"] for x in d["cancellation"]["refunds"]] == [8800]
    assert api.stock(pid)["available"] == 5
    api.error(decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED), 409)


def test_a_rejection_lets_delivery_go_on_and_a_senior_decides_the_appeal(api: Api) -> None:
    """GIVEN a request rejected with a reason WHEN the customer appeals once (refund to balance)
    THEN only a senior reviewer other than the rejecting one may decide it, and approving it
    cancels the order with a refund to the balance."""
    _, cust, order, request_id = _reviewed_order(api)
    task = open_task(api, order["order_id"])
    claim(api, SENIOR, task["task_id"])
    api.error(decide(api, SENIOR, task["task_id"], "reject"), 422, "VALIDATION_FAILED")  # no reason
    r = decide(api, SENIOR, task["task_id"], "reject", note="the account details were correct")
    assert r.status_code == 200 and r.json()["outcome"] == "rejected", r.text
    d = detail(api, cust, order["order_id"])["order"]
    assert (d["status"], d["held"]) == ("paid", False)  # delivery may go on
    entries = api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)["entries"]
    rejected = [e for e in entries if e["event"] == "review.decided"][-1]
    assert (rejected["outcome"], rejected["rejection_reason"]) == (
        "rejected",
        "the account details were correct",
    )

    path = f"/v1/orders/{order['order_id']}/cancellations/{request_id}/appeal"
    body = {"text": "I entered the wrong game account, screenshot attached", "refund_to": "balance"}
    appealed = api.ok("POST", path, cust, body)
    assert appealed["request_id"] == request_id
    api.error(api.call("POST", path, cust, body), 409)  # once only
    appeal = open_task(api, order["order_id"], kind="rejection_appeal")
    assert appeal["senior_only"] is True
    assert try_claim(api, REVIEWER, appeal["task_id"]) is None  # not for an ordinary reviewer
    assert try_claim(api, SENIOR, appeal["task_id"]) is None  # nor for the one who rejected
    other_senior = ("senior-e2e-2", "reviewer", "senior_reviewer")
    claim(api, other_senior, appeal["task_id"])
    r = decide(api, other_senior, appeal["task_id"], "approve", checklist=CHECKED, note="evidence convincing")
    assert r.status_code == 200 and r.json()["outcome"] == "approved", r.text
    d2 = detail(api, cust, order["order_id"])
    assert d2["order"]["status"] == "cancelled"
    [refund] = d2["cancellation"]["refunds"]
    assert refund["channel"] == "balance" and refund["amount"] == order["amount"]


def test_a_stop_delivery_is_urgent_and_settled_by_fulfilment_not_the_reviewer(api: Api) -> None:
    """GIVEN an order being delivered with a stop-delivery request WHEN a reviewer takes its
    task (urgent) THEN claim-next passes it by while fulfilment is asked to abort; WHEN
    fulfilment answers `aborted` THEN the order is cancelled with a full refund and its locked
    key is quarantined, not back in stock (docs/domain.md, "Stop delivery", "Quarantine")."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "wechat_pay")
    fulfil(api, order["order_id"], "start")
    # a reason that fits an undelivered order (issue 13 item 12: nothing was delivered yet)
    r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    task = open_task(api, order["order_id"])
    assert task["priority_class"] == 0  # stop-delivery goes first
    assert try_claim(api, REVIEWER, task["task_id"]) is None
    fulfil(api, order["order_id"], "aborted")
    d = detail(api, cust, order["order_id"])["order"]
    assert d["status"] == "cancelled" and d["refunded_amount"] == order["amount"]
    assert api.stock(pid) == {"available": 4, "reserved": 0, "quarantined": 1, "delivered": 0, "voided": 0}


def test_an_appeal_of_a_delivered_order_ends_in_a_partial_refund(api: Api) -> None:
    """GIVEN a delivered order WHEN its customer appeals with an uploaded screenshot for part of
    the price and a reviewer approves a partial amount THEN the order stays delivered (value moved),
    the refund is that amount, and refunded stays below paid."""
    pid, cust = api.product(price=10000), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    fulfil(api, order["order_id"], "start")
    fulfil(api, order["order_id"], "complete")
    up = api.ok(
        "POST",
        f"/v1/orders/{order['order_id']}/evidence-uploads",
        cust,
        {"content_type": "image/png"},
        status=201,
    )
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
    stored = api.http.post(up["url"], data=up["fields"], files={"file": ("shot.png", png, "image/png")})
    assert stored.status_code in (200, 201, 204), stored.text
    r = cancel(
        api, cust, order["order_id"], action="appeal", reason_code="invalid_key",
        description="the key was rejected as already used", evidence=[up["key"]], amount=6000,
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    task = open_task(api, order["order_id"])
    claim(api, REVIEWER, task["task_id"])
    links = api.ok("GET", f"/v1/reviews/{task['task_id']}", REVIEWER)["evidence"]
    assert [x["key"] for x in links] == [up["key"]]
    r = decide(
        api, REVIEWER, task["task_id"], "approve", checklist=CHECKED, refund_amount=4000, note="half used"
    )
    assert r.status_code == 200 and r.json()["outcome"] == "approved", r.text
    d = detail(api, cust, order["order_id"])
    assert d["order"]["status"] == "delivered"
    assert d["order"]["refunded_amount"] == 4000 < d["order"]["paid_amount"]
    assert api.stock(pid)["delivered"] == 1


def test_need_info_waits_for_the_customers_answer_then_the_task_comes_back(api: Api) -> None:
    """GIVEN a request under review WHEN the reviewer asks for more information THEN the task
    waits for the customer (not claimable), and the customer's timeline and order show the
    question with its deadline in CST; the appeal route refuses to take the answer
    (INFO_REQUESTED); the answer route returns the task to the pool and a reviewer can then
    approve it."""
    _, cust, order, request_id = _reviewed_order(api)
    task = open_task(api, order["order_id"])
    claim(api, REVIEWER, task["task_id"])
    question = "which account did you mean to top up?"
    r = decide(api, REVIEWER, task["task_id"], "need_info", note=question)
    assert r.status_code == 200 and r.json()["outcome"] == "need_info", r.text
    assert r.json()["task"]["status"] == "waiting_customer"
    assert try_claim(api, REVIEWER_2, task["task_id"]) is None
    shown = api.call("GET", f"/v1/orders/{order['order_id']}/timeline", cust, accept_language="en")
    asked = shown.json()["entries"][-1]
    assert (asked["event"], asked["question"], asked["title"]) == (
        "review.need_info",
        question,
        "The reviewer needs more information from you",
    )
    assert asked["answer_by_cst"].endswith("+08:00") and asked["answer_by"].endswith("Z")
    [summary] = detail(api, cust, order["order_id"])["cancellation"]["requests"]
    assert (summary["status"], summary["question"]) == ("need_info", question)
    base = f"/v1/orders/{order['order_id']}/cancellations/{request_id}"
    body = {"text": "account 12345678, I typed 12345687 by mistake"}
    api.error(api.call("POST", f"{base}/appeal", cust, body), 409, "INFO_REQUESTED")
    answered = api.ok("POST", f"{base}/answer", cust, body)
    assert (answered["kind"], answered["status"]) == ("info_supplied", "under_review")
    api.error(api.call("POST", f"{base}/answer", cust, body), 409, "NO_OPEN_QUESTION")  # once per question
    back = open_task(api, order["order_id"])
    assert back["task_id"] == task["task_id"]
    claim(api, REVIEWER_2, task["task_id"])
    r = decide(api, REVIEWER_2, task["task_id"], "approve", checklist=CHECKED, note="answer checks out")
    assert r.status_code == 200 and r.json()["outcome"] == "approved", r.text
    assert detail(api, cust, order["order_id"])["order"]["status"] == "cancelled"
