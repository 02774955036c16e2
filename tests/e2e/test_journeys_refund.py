"""Refund journeys: the refund worker pays through the simulated provider, the provider's
callbacks come back through the gateway, and the schedule flags what is late."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from local import launcher
from tests.e2e.conftest import Api, cancel, customer, detail, eventually, new_order, pay

SUPPORT = ("support-e2e", "support")


def _refund(api: Api, cust: tuple[str, str], order_id: str) -> dict[str, Any]:
    [refund] = detail(api, cust, order_id)["cancellation"]["refunds"]
    return dict(refund)


def _refund_status(api: Api, cust: tuple[str, str], order_id: str, want: str) -> dict[str, Any] | None:
    r = _refund(api, cust, order_id)
    return r if r["status"] == want else None


@pytest.mark.parametrize("channel", ["alipay", "wechat_pay"])
def test_an_auto_approved_cancel_is_paid_back_through_the_provider(api: Api, channel: str) -> None:
    """GIVEN an order paid a minute ago WHEN its customer cancels THEN the refund worker pays it
    through the provider and the refund reads succeeded for the customer."""
    pid, cust = api.product(price=4200), customer()
    order = new_order(api, cust, pid)
    pay(api, order, channel)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text
    done = eventually(lambda: _refund_status(api, cust, order["order_id"], "succeeded"), timeout=60)
    assert done["amount"] == 4200 and done["channel"] == channel


def test_a_late_payment_is_paid_back_automatically(api: Api) -> None:
    """GIVEN an expired unpaid order WHEN its payment arrives late THEN nobody has to act: the
    payment is refunded in full and the refund succeeds."""
    pid, cust = api.product(price=3000), customer()
    order = new_order(api, cust, pid)
    api.advance(16 * 60)
    assert pay(api, order, "alipay")["applied"] is False
    done = eventually(lambda: _refund_status(api, cust, order["order_id"], "succeeded"), timeout=60)
    assert done["amount"] == 3000


def test_a_stalled_provider_makes_the_refund_overdue_and_support_retries_it(
    api: Api, provider: httpx.Client
) -> None:
    """GIVEN a provider answering every refund with a server error WHEN a refund is due and its
    SLA (1 hour for Alipay) passes THEN the schedule flags it overdue, support sees it in the
    overdue list, the customer sees it marked; once the provider is back, support retries it and
    it succeeds."""
    provider.post("/admin/config", json={"error_5xx": 1.0})
    pid, cust = api.product(price=2500), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="duplicate_order")
    assert r.status_code == 201, r.text
    refund_id = r.json()["refund_id"]
    eventually(lambda: _refund(api, cust, order["order_id"])["status"] != "pending", timeout=60)
    assert _refund(api, cust, order["order_id"])["status"] != "succeeded"

    moved = api.advance(61 * 60)
    assert "flag_refunds" in moved["ticked"]
    overdue = api.ok("GET", "/v1/refunds?overdue=true&limit=100", SUPPORT)["items"]
    assert refund_id in [x["refund_id"] for x in overdue]
    assert _refund(api, cust, order["order_id"])["overdue"] is True

    provider.post("/admin/config", json={"error_5xx": 0.0})
    current = _refund(api, cust, order["order_id"])
    if current["status"] in ("failed", "needs_attention", "needs_customer_action"):
        api.ok("POST", f"/v1/refunds/{refund_id}/retry", SUPPORT)
    else:  # handed back by the schedule meanwhile: a retry now is refused, not repeated
        api.error(api.call("POST", f"/v1/refunds/{refund_id}/retry", SUPPORT), 409)
    eventually(lambda: _refund_status(api, cust, order["order_id"], "succeeded"), timeout=90)


def test_the_provider_paid_every_refund_number_at_most_once(api: Api, runtime: launcher.Running) -> None:
    """GIVEN every refund of the session so far WHEN the provider's own books are read
    THEN no refund number was paid out twice."""
    books = httpx.get(f"{runtime.urls['provider']}/admin/payouts", timeout=10).json()
    assert books["payouts"] and books["max_per_refund_no"] == 1, books
