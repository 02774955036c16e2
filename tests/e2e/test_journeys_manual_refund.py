"""Support's refund tools over HTTP (docs/domain.md, "Support's tools"): a refund
paid outside the system closes the open refund it replaces; a new one counts against what is
left; a stuck refund switched to balance with the customer's consent. By the provider's books
and the order's refunded amount."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.conftest import Api, eventually, payouts_of, refund_of, stuck_refund

SUPPORT = ("support-e2e", "support")


def test_a_manual_refund_closes_the_open_refund_and_the_books_are_right(
    api: Api, provider: httpx.Client
) -> None:
    """GIVEN a cancelled order whose refund cannot reach the closed account WHEN support pays the
    customer by bank transfer and records it as replacing that refund THEN the refund reads
    succeeded for the customer, the order's refunded amount is the price (counted once), the
    provider paid nothing; recording it again is a replay; a customer may not record one."""
    cust, order, stuck = stuck_refund(api, provider, "alipay", 4100)
    rid = stuck["refund_id"]
    path = f"/v1/orders/{order['order_id']}/manual-refunds"
    body = {
        "amount": 4100,
        "channel": "bank_card",
        "reference": f"BT-{uuid.uuid4().hex[:8]}",
        "note": "顾客支付宝已注销,已银行转账",
        "replaces_refund_id": rid,
    }
    api.error(api.call("POST", path, cust, body), 403)
    api.error(api.call("POST", path, SUPPORT, body | {"amount": 100}), 422, "AMOUNT_INVALID")
    done = api.ok("POST", path, SUPPORT, body, status=201)
    assert not done["replayed"] and [r["refund_id"] for r in done["refunds"]] == [rid]
    assert api.ok("POST", path, SUPPORT, body, status=201)["replayed"] is True
    refund = refund_of(api, cust, order["order_id"])
    assert refund["status"] == "succeeded" and refund["provider_ref"] == body["reference"]
    order_now = api.ok("GET", f"/v1/orders/{order['order_id']}", cust)["order"]
    assert order_now["refunded_amount"] == 4100
    assert payouts_of(provider, rid) == 0
    timeline = api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)["entries"]
    assert "refund.manual_recorded" in [e["event"] for e in timeline]


def test_support_switches_a_stuck_refund_to_balance_with_consent(api: Api, provider: httpx.Client) -> None:
    """GIVEN a refund waiting for the customer WHEN support switches it to balance with the
    consent recorded THEN it succeeds as a balance refund, once, and the provider paid nothing."""
    cust, order, stuck = stuck_refund(api, provider, "alipay", 2700)
    rid = stuck["refund_id"]
    path = f"/v1/refunds/{rid}/switch-to-balance"
    api.error(api.call("POST", path, SUPPORT, {"consent": "T-1"}), 422)
    r = api.ok("POST", path, SUPPORT, {"consent": "T-77", "note": "电话确认改退余额"})
    assert r["channel"] == "balance" and r["switched_from"] == "alipay"
    eventually(lambda: refund_of(api, cust, order["order_id"])["status"] == "succeeded", timeout=60)
    api.error(
        api.call("POST", path, SUPPORT, {"consent": "T-78", "note": "again"}), 409, "REFUND_FIX_NOT_OFFERED"
    )
    assert payouts_of(provider, rid) == 0
