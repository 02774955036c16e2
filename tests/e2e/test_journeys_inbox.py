"""The customer's inbox (站内信) over HTTP against the running system: the stream publisher turns
each moment the customer must know of into one message, in the reader's language; one journey
per moment, then unread counts, marking read, paging, and another customer's inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.e2e.conftest import (
    CHECKED,
    REVIEWER,
    SENIOR,
    Api,
    cancel,
    claim,
    customer,
    decide,
    eventually,
    new_order,
    open_task,
    pay,
    stuck_refund,
)

EN = "en"


def inbox(api: Api, cust: tuple[str, str], lang: str = "zh-CN", **query: Any) -> dict[str, Any]:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    r = api.call("GET", "/v1/inbox" + (f"?{q}" if q else ""), cust, Accept_Language=lang)
    assert r.status_code == 200, r.text
    return dict(r.json())


def told(api: Api, cust: tuple[str, str], kind: str, lang: str = EN, timeout: float = 60) -> dict[str, Any]:
    """The customer's one message of ``kind``, once the publisher has made it."""

    def find() -> dict[str, Any] | None:
        found = [n for n in inbox(api, cust, lang, limit=100)["items"] if n["kind"] == kind]
        assert len(found) <= 1, found  # one message per moment, however often the stream repeats
        return found[0] if found else None

    return eventually(find, timeout=timeout)


def kinds(api: Api, cust: tuple[str, str]) -> list[str]:
    return [n["kind"] for n in inbox(api, cust, limit=100)["items"]]


def _paid(api: Api, price: int, channel: str = "alipay") -> tuple[tuple[str, str], dict[str, Any]]:
    cust = customer()
    order = new_order(api, cust, api.product(price=price))
    pay(api, order, channel)
    return cust, order


def _under_review(api: Api, price: int = 10000) -> tuple[tuple[str, str], dict[str, Any], dict[str, Any]]:
    """A paid order whose cancel request (11 minutes after paying) waits for a reviewer."""
    cust, order = _paid(api, price)
    api.advance(11 * 60)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    return cust, order, r.json()


def _rejected(api: Api) -> tuple[tuple[str, str], dict[str, Any], str]:
    cust, order, asked = _under_review(api)
    task = open_task(api, order["order_id"])
    claim(api, SENIOR, task["task_id"])
    r = decide(api, SENIOR, task["task_id"], "reject", note="the account details were correct")
    assert r.status_code == 200, r.text
    return cust, order, asked["request_id"]


def test_an_auto_approved_cancellation_is_told_with_its_refund(api: Api) -> None:
    """GIVEN a paid order WHEN its customer cancels inside the window THEN one message says it
    was approved at once, names the order, the request and the refund with its amount, in the
    customer's language."""
    cust, order = _paid(api, 4200)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text
    n = told(api, cust, "cancelled_at_once")
    assert (n["order_id"], n["request_id"], n["refund_id"], n["amount"]) == (
        order["order_id"],
        r.json()["request_id"],
        r.json()["refund_id"],
        4200,
    )
    assert n["title"] == "Order cancelled" and "¥42.00" in n["body"] and n["read"] is False
    zh = [x for x in inbox(api, cust)["items"] if x["notice_id"] == n["notice_id"]]
    assert zh[0]["title"] == "订单已取消" and "自动通过" in zh[0]["body"]


def test_a_request_under_review_is_told_with_its_expected_time(api: Api) -> None:
    """GIVEN a paid order past its auto-approval window WHEN its customer asks to cancel THEN a
    message says it is under review and by when a decision is due (in Beijing time in the text)."""
    cust, order, asked = _under_review(api)
    n = told(api, cust, "under_review")
    assert (n["order_id"], n["request_id"]) == (order["order_id"], asked["request_id"])
    due = datetime.fromisoformat(n["decision_due"])
    assert due > datetime.fromisoformat(n["at"])
    assert datetime.fromisoformat(asked["expected_review_by"]) <= due  # the estimate never passes the SLA
    assert "Beijing time" in n["body"]


def test_a_reviewers_question_is_told_with_its_deadline(api: Api) -> None:
    """GIVEN a request under review WHEN the reviewer asks for more information THEN a message
    carries the question and the answer deadline, in the text too."""
    cust, order, _ = _under_review(api)
    task = open_task(api, order["order_id"])
    claim(api, REVIEWER, task["task_id"])
    question = "please attach a screenshot of the top-up account"
    assert decide(api, REVIEWER, task["task_id"], "need_info", note=question).status_code == 200
    n = told(api, cust, "info_needed")
    assert n["question"] == question and question in n["body"]
    assert datetime.fromisoformat(n["answer_by"]) > datetime.fromisoformat(n["at"])


def test_an_approval_is_told_with_the_refund_started(api: Api) -> None:
    """GIVEN a request under review WHEN a reviewer approves it THEN a message says so with the
    refund's amount; the refund's own message names it."""
    cust, order, asked = _under_review(api, price=8800)
    task = open_task(api, order["order_id"])
    claim(api, REVIEWER, task["task_id"])
    r = decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED)
    assert r.status_code == 200, r.text
    n = told(api, cust, "request_approved")
    assert (n["request_id"], n["amount"]) == (asked["request_id"], 8800)
    assert n["title"] == "Request approved" and "¥88.00" in n["body"]
    assert told(api, cust, "refund_started")["refund_id"] == r.json()["refund_id"]


def test_a_rejection_is_told_with_its_reason_and_the_way_on(api: Api) -> None:
    """GIVEN a request under review WHEN it is rejected with a reason THEN a message gives the
    reason in the reviewer's words and says an appeal is the way on."""
    cust, _, rid = _rejected(api)
    n = told(api, cust, "request_rejected")
    assert n["request_id"] == rid and "the account details were correct" in n["body"]
    assert "appeal" in n["body"]
    assert n["amount"] is None and n["refund_id"] is None


def test_an_appeal_decided_is_told_as_the_appeals_outcome(api: Api) -> None:
    """GIVEN a rejected request WHEN its customer appeals and another senior upholds the appeal
    THEN the customer is told the appeal is under review, then that it was upheld, with the
    refund (to the balance, as asked)."""
    cust, order, rid = _rejected(api)
    path = f"/v1/orders/{order['order_id']}/cancellations/{rid}/appeal"
    api.ok("POST", path, cust, {"text": "I entered the wrong game account", "refund_to": "balance"})
    appeal = open_task(api, order["order_id"], kind="rejection_appeal")
    other = ("senior-e2e-2", "reviewer", "senior_reviewer")
    claim(api, other, appeal["task_id"])
    r = decide(api, other, appeal["task_id"], "approve", checklist=CHECKED)
    assert r.status_code == 200, r.text
    n = told(api, cust, "appeal_approved")
    assert (n["request_id"], n["amount"]) == (rid, order["amount"])
    assert n["title"] == "Appeal upheld"
    assert kinds(api, cust).count("under_review") == 2  # the request, then the appeal
    assert "request_approved" not in kinds(api, cust)


def test_a_refund_started_and_arrived_are_told_with_channel_amount_and_reference(api: Api) -> None:
    """GIVEN an auto-approved cancellation paid by WeChat Pay WHEN the refund worker submits it
    and the provider pays it THEN the customer is told it started and that it arrived: channel,
    amount and the provider's refund reference."""
    cust, order = _paid(api, 3300, channel="wechat_pay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    refund_id = r.json()["refund_id"]
    started = told(api, cust, "refund_started")
    assert (started["refund_id"], started["amount"], started["channel"]) == (refund_id, 3300, "wechat_pay")
    assert "WeChat Pay" in started["body"]
    done = told(api, cust, "refund_succeeded", timeout=90)
    assert (done["refund_id"], done["amount"], done["channel"]) == (refund_id, 3300, "wechat_pay")
    assert done["reference"] and done["reference"] in done["body"]
    zh = next(x for x in inbox(api, cust)["items"] if x["kind"] == "refund_succeeded")
    assert zh["title"] == "退款成功" and "微信支付" in zh["body"]


def test_an_overdue_refund_is_told(api: Api, provider: httpx.Client) -> None:
    """GIVEN a provider failing every refund WHEN a refund's SLA passes THEN its customer is told
    it is late and that they may chase it."""
    provider.post("/admin/config", json={"error_5xx": 1.0})
    cust, order = _paid(api, 2500)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="duplicate_order")
    assert r.status_code == 201, r.text
    eventually(lambda: "refund_started" in kinds(api, cust), timeout=60)
    api.advance(61 * 60)
    n = told(api, cust, "refund_overdue")
    assert (n["refund_id"], n["amount"]) == (r.json()["refund_id"], 2500) and "chase" in n["body"]


def test_a_refund_needing_the_customer_is_told(api: Api, provider: httpx.Client) -> None:
    """GIVEN a refund that cannot reach the closed account it was paid from THEN its customer is
    told they must choose what to do, with the amount and channel."""
    cust, _, refund = stuck_refund(api, provider, "alipay", 1900)
    n = told(api, cust, "refund_needs_action")
    assert (n["refund_id"], n["amount"], n["channel"]) == (refund["refund_id"], 1900, "alipay")
    assert "Alipay" in n["body"]


def test_unread_counts_mark_read_and_pages(api: Api) -> None:
    """GIVEN a customer with three messages (approved at once, refund started, arrived) THEN the
    unread count is 3; marking one read makes it 2 and the message shows when it was read;
    marking it again changes nothing; the inbox pages newest first with a cursor."""
    cust, order = _paid(api, 1500)
    cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    told(api, cust, "refund_succeeded", timeout=90)
    count = api.ok("GET", "/v1/inbox/unread-count", cust)
    assert count == {"unread": 3}
    first = inbox(api, cust, limit=2)
    assert len(first["items"]) == 2 and first["unread"] == 3 and first["next_cursor"]
    rest = inbox(api, cust, limit=2, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    items = first["items"] + rest["items"]
    assert sorted(n["kind"] for n in items) == ["cancelled_at_once", "refund_started", "refund_succeeded"]
    # newest first (a refund may start and arrive in one millisecond: messages of one instant
    # come in no particular order among themselves)
    assert [n["at"] for n in items] == sorted((n["at"] for n in items), reverse=True)
    assert items[-1]["kind"] == "cancelled_at_once"
    target = items[1]["notice_id"]
    read = api.ok("POST", f"/v1/inbox/{target}/read", cust)
    assert read["read"] is True and read["read_at"]
    again = api.ok("POST", f"/v1/inbox/{target}/read", cust)
    assert again["read_at"] == read["read_at"]
    assert api.ok("GET", "/v1/inbox/unread-count", cust) == {"unread": 2}
    assert [n["notice_id"] for n in inbox(api, cust)["items"] if n["read"]] == [target]


def test_another_customers_inbox_is_never_readable(api: Api) -> None:
    """GIVEN a customer with a message WHEN another customer reads their own inbox, marks that
    message read by its id, or pages with the first one's cursor THEN they see none of it: an
    empty inbox, 404 NOTICE_NOT_FOUND, 422 on the cursor; the owner's message stays unread."""
    cust, order = _paid(api, 1200)
    cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    n = told(api, cust, "cancelled_at_once")
    told(api, cust, "refund_started")  # two messages: the first page of one has a cursor
    cursor = inbox(api, cust, limit=1)["next_cursor"]
    assert cursor
    other = customer()
    assert inbox(api, other) == {"items": [], "next_cursor": None, "unread": 0}
    api.error(api.call("POST", f"/v1/inbox/{n['notice_id']}/read", other), 404, "NOTICE_NOT_FOUND")
    api.error(api.call("GET", f"/v1/inbox?cursor={cursor}", other), 422, "VALIDATION_FAILED")
    mine = [x for x in inbox(api, cust)["items"] if x["notice_id"] == n["notice_id"]]
    assert mine[0]["read"] is False
    api.error(api.call("GET", "/v1/inbox", None), 401)
