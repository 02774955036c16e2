"""A refund names the payment it refunds, end to end (issue 16, item 3): an order paid twice on
WeChat Pay, then cancelled, is paid back as two refunds, each on its own trade with that
trade's total, which the simulated WeChat Pay checks (it refuses an ``amount.total`` that is not
the trade's, as WeChat does)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from local import launcher
from tests.e2e.conftest import Api, cancel, customer, detail, eventually, new_order, pay

PRICE = 4300


def test_an_order_paid_twice_then_cancelled_is_refunded_per_trade_with_each_total(
    api: Api, runtime: launcher.Running
) -> None:
    """GIVEN an order paid on WeChat Pay (trade A) and paid again (trade B, refunded on arrival),
    the provider knowing both trades' totals WHEN its customer cancels THEN both refunds succeed
    at the provider: A's and B's, each of the price with its trade's own total (the sum of both
    payments, sent as A's total before, was refused)."""
    pid, cust = api.product(price=PRICE), customer()
    order = new_order(api, cust, pid)
    a, b = (f"wx-{side}-{uuid.uuid4().hex[:10]}" for side in "ab")
    with httpx.Client(base_url=runtime.urls["provider"], timeout=10) as sim:
        for trade in (a, b):  # as the payments made them at WeChat Pay
            sim.post("/admin/trades", json={"trade": trade, "total": PRICE}).raise_for_status()
        assert pay(api, order, "wechat_pay", payment_id=a)["applied"] is True
        assert pay(api, order, "wechat_pay", payment_id=b)["applied"] is False
        r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
        assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text

        def both_succeeded() -> list[dict[str, Any]] | None:
            refunds = detail(api, cust, order["order_id"])["cancellation"]["refunds"]
            done = len(refunds) == 2 and all(x["status"] == "succeeded" for x in refunds)
            return list(refunds) if done else None

        refunds = eventually(both_succeeded, timeout=60)
        assert [(x["amount"], x["channel"]) for x in refunds] == [(PRICE, "wechat_pay")] * 2
        payouts = sim.get("/admin/payouts").json()["payouts"]
        paid = sorted((p["trade"], p["amount"]) for p in payouts if p["trade"] in (a, b))
        assert paid == sorted([(a, PRICE), (b, PRICE)])
        calls = sim.get("/admin/refunds").json()["calls"]
        nos = {x["refund_id"].replace("_", "") for x in refunds}
        assert not [c for no in nos for c in calls.get(no, []) if c == "submit:invalid_total"]
