"""Journeys of a withdrawal: the customer takes back a request under review over HTTP, and the
reviewer who holds its task is refused (docs/domain.md, "Withdrawal")."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import (
    CHECKED,
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
)


def _withdraw_option(api: Api, cust: tuple[str, str], order_id: str, lang: str = "zh-CN") -> dict[str, Any]:
    r = api.call("GET", f"/v1/orders/{order_id}/cancellation-options", cust, Accept_Language=lang)
    assert r.status_code == 200, r.text
    return dict(r.json()["withdraw"])


def _listed(api: Api, task_id: str) -> list[str]:
    """The reviewer lists (what the console's queue and tabs read) that show the task."""
    shown = []
    for status in ("open", "claimed", "waiting_customer", "decided"):
        items = api.ok("GET", f"/v1/reviews?status={status}&limit=100", REVIEWER)["items"]
        if any(t["task_id"] == task_id for t in items):
            shown.append(status)
    return shown


def test_a_request_withdrawn_lifts_the_hold_and_refuses_the_reviewers_decision(api: Api) -> None:
    """GIVEN a paid order whose cancel request is under review, its task claimed by a reviewer
    WHEN the customer withdraws it (with an Idempotency-Key, sent twice) THEN 200 with the request
    withdrawn and the order paid and no longer held, the same answer replayed; the task is in no
    list and reads withdrawn; the reviewer's decision and release are 409 REQUEST_WITHDRAWN; a
    second withdrawal is 409 REQUEST_NOT_PENDING, another customer's is 404; the options no
    longer offer it; the timeline says request.withdrawn; and the order is delivered."""
    pid, cust = api.product(price=6600), customer()
    order = new_order(api, cust, pid)
    oid = order["order_id"]
    pay(api, order, "alipay")
    api.advance(11 * 60)  # past the auto-approval window (and the cooling-off)
    r = cancel(api, cust, oid, action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    request_id = r.json()["request_id"]

    offered = _withdraw_option(api, cust, oid)
    assert (offered["allowed"], offered["request_id"], offered["title"]) == (True, request_id, "撤回申请")
    assert _withdraw_option(api, cust, oid, "en")["title"] == "Withdraw the request"
    task = open_task(api, oid)
    claim(api, REVIEWER, task["task_id"])
    assert _listed(api, task["task_id"]) == ["claimed"]

    path = f"/v1/orders/{oid}/cancellations/{request_id}/withdraw"
    key = f"wd-{uuid.uuid4().hex}"
    first = api.call("POST", path, cust, Idempotency_Key=key)
    assert first.status_code == 200, first.text
    out = first.json()
    assert (out["status"], out["request_id"], out["task_id"], out["action"]) == (
        "withdrawn",
        request_id,
        task["task_id"],
        "request",
    )
    assert (out["order"]["status"], out["order"]["held"], out["order"]["open_request_id"]) == (
        "paid",
        False,
        None,
    )
    replay = api.call("POST", path, cust, Idempotency_Key=key)
    assert replay.status_code == 200 and replay.json() == out
    assert replay.headers.get("Idempotency-Replayed") == "true"

    # the reviewer who held the lease: refused, and the task has left every list
    api.error(decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED), 409, "REQUEST_WITHDRAWN")
    api.error(api.call("POST", f"/v1/reviews/{task['task_id']}/release", REVIEWER), 409, "REQUEST_WITHDRAWN")
    assert _listed(api, task["task_id"]) == []
    assert api.ok("GET", f"/v1/reviews/{task['task_id']}", REVIEWER)["task"]["status"] == "withdrawn"

    api.error(api.call("POST", path, cust), 409, "REQUEST_NOT_PENDING")
    api.error(api.call("POST", path, customer()), 404, "ORDER_NOT_FOUND")
    after = _withdraw_option(api, cust, oid)
    assert (after["allowed"], after["code"]) == (False, "REQUEST_NOT_PENDING")
    entries = api.ok("GET", f"/v1/orders/{oid}/timeline", cust)["entries"]
    assert entries[-1]["event"] == "request.withdrawn" and entries[-1]["title"]

    # the order goes on: delivered, nothing refunded
    assert fulfil(api, oid, "start")["status"] == "delivering"
    assert fulfil(api, oid, "complete")["status"] == "delivered"
    d = detail(api, cust, oid)["order"]
    assert (d["status"], d["held"], d["refunded_amount"]) == ("delivered", False, 0)
