"""Journeys of the customer's risk over HTTP (docs/domain.md, "Risk"): what the platform got
wrong does not count against the customer."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import (
    CHECKED,
    REVIEWER,
    Api,
    cancel,
    claim,
    customer,
    decide,
    fulfil,
    new_order,
    open_task,
    pay,
)

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _screenshot(api: Api, cust: tuple[str, str], order_id: str) -> str:
    up = api.ok(
        "POST", f"/v1/orders/{order_id}/evidence-uploads", cust, {"content_type": "image/png"}, status=201
    )
    stored = api.http.post(up["url"], data=up["fields"], files={"file": ("shot.png", PNG, "image/png")})
    assert stored.status_code in (200, 201, 204), stored.text
    return str(up["key"])


def _options(api: Api, cust: tuple[str, str], order_id: str) -> dict[str, Any]:
    return dict(api.ok("GET", f"/v1/orders/{order_id}/cancellation-options", cust))


def test_two_approved_platform_fault_appeals_leave_the_customers_auto_approval_intact(api: Api) -> None:
    """GIVEN a customer whose two delivered keys were invalid, both appeals (invalid_key, with a
    screenshot) approved by a reviewer, and three more orders (five in the window: enough to
    judge) WHEN they ask to cancel a fresh paid order inside the window THEN it is approved at
    once (refund_started), the options say not high-risk: two requests of five would be 40 %,
    above the 30 % threshold, had the platform's faults counted against them."""
    pid, cust = api.product(price=5000, keys=6), customer()
    for _ in range(2):
        order = new_order(api, cust, pid)
        oid = order["order_id"]
        pay(api, order, "alipay")
        api.advance(11 * 60)  # the cooling-off before delivery
        fulfil(api, oid, "start")
        fulfil(api, oid, "complete")
        r = cancel(
            api, cust, oid, action="appeal", reason_code="invalid_key",
            description="the key was refused as already used", evidence=[_screenshot(api, cust, oid)],
        )  # fmt: skip
        assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
        task = open_task(api, oid)
        claim(api, REVIEWER, task["task_id"])
        assert task["strict_review"] is False
        r = decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED, note="key verified as used")
        assert r.status_code == 200 and r.json()["outcome"] == "approved", r.text

    fresh = [new_order(api, cust, pid) for _ in range(3)]
    pay(api, fresh[0], "alipay")
    opts = _options(api, cust, fresh[0]["order_id"])
    assert opts["high_risk"] is False
    request = next(a for a in opts["actions"] if a["action"] == "request")
    assert (request["allowed"], request["outcome"]) == (True, "refund_started")
    r = cancel(api, cust, fresh[0]["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == "refund_started"
