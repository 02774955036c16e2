"""Refund recovery journeys over HTTP (docs/domain.md, "Refund recovery"): a customer whose
account cannot receive the refund takes the balance or gives a new card; a customer whose refund
is late chases it, support takes it first and retries it. Paid once each, by the provider's books."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import (
    Api,
    cancel,
    customer,
    eventually,
    new_order,
    pay,
    payouts_of,
    refund_of,
    stuck_refund,
)

SUPPORT = ("support-e2e", "support")
REFUND_SLA_SECONDS = 61 * 60  # Alipay's refund SLA is one hour


def test_closed_account_then_the_customer_takes_the_balance(api: Api, provider: httpx.Client) -> None:
    """GIVEN a refund the closed Alipay account cannot receive WHEN the customer reads the order
    THEN it says what they may do (confirm the account, or the balance), in their language; WHEN
    they take the balance THEN the refund succeeds once, as a balance credit, the provider paid
    nothing; another customer cannot touch it and a second fix is refused."""
    cust, order, refund = stuck_refund(api, provider, "alipay", 6600)
    order_id = order["order_id"]
    assert refund["recovery"]["fixes"] == ["confirm_account", "to_balance"]
    assert "余额" in refund["recovery"]["hint"]
    assert "balance" in refund_of(api, cust, order_id, "en")["recovery"]["hint"]
    path = f"/v1/orders/{order_id}/refunds/{refund['refund_id']}/fix"
    api.error(api.call("POST", path, customer(), {"fix": "to_balance"}), 404, "ORDER_NOT_FOUND")
    api.error(api.call("POST", path, cust, {"fix": "new_card"}), 422)  # that one is .../new-card
    new_card = path.replace("/fix", "/new-card")
    card = {"bank_type": "CMB_DEBIT", "account": "6214830000004321", "real_name": "王芳"}
    api.error(api.call("POST", new_card, cust, card), 409, "REFUND_FIX_NOT_OFFERED")
    fixed = api.ok("POST", path, cust, {"fix": "to_balance"})
    assert (fixed["status"], fixed["channel"], fixed["switched_from"]) == ("pending", "balance", "alipay")
    done = eventually(
        lambda: (x := refund_of(api, cust, order_id))["status"] == "succeeded" and x, timeout=60
    )
    assert done["channel"] == "balance" and done["recovery"] is None
    err = api.error(api.call("POST", path, cust, {"fix": "to_balance"}), 409, "REFUND_FIX_NOT_OFFERED")
    assert err["details"]["offered"] == []
    assert payouts_of(provider, refund["refund_id"]) == 0
    timeline = api.ok("GET", f"/v1/orders/{order_id}/timeline", cust)
    assert "refund.destination_fixed" in [e["event"] for e in timeline["entries"]]


def test_closed_wechat_card_then_the_customer_gives_a_new_one(api: Api, provider: httpx.Client) -> None:
    """GIVEN a WeChat refund that came back ABNORMAL (the card closed) WHEN the customer gives a
    new debit card THEN WeChat pays that card, once, and the refund succeeds; the card number is
    in no answer."""
    cust, order, refund = stuck_refund(api, provider, "wechat_pay", 6600)
    order_id = order["order_id"]
    assert refund["recovery"]["fixes"] == ["new_card", "to_balance"]
    path = f"/v1/orders/{order_id}/refunds/{refund['refund_id']}/fix"
    api.error(api.call("POST", path, cust, {"fix": "confirm_account"}), 409, "REFUND_FIX_NOT_OFFERED")
    card = {"bank_type": "CMB_DEBIT", "account": "6214830000004321", "real_name": "王芳"}
    api.error(api.call("POST", path.replace("/fix", "/new-card"), cust, {"account": "1"}), 422)
    r = api.call("POST", path.replace("/fix", "/new-card"), cust, card)
    assert r.status_code == 200 and "6214830000004321" not in r.text, r.text
    eventually(lambda: refund_of(api, cust, order_id)["status"] in ("processing", "succeeded"), timeout=60)
    api.advance(120)  # WeChat settles the abnormal refund to the new card a minute later
    eventually(lambda: refund_of(api, cust, order_id)["status"] == "succeeded", timeout=90)
    assert payouts_of(provider, refund["refund_id"]) == 1
    no = refund["refund_id"].replace("_", "")
    assert provider.get("/admin/refunds").json()["refunds"][no]["new_card"] == "CMB_DEBIT:4321"


def test_overdue_then_chase_then_support_takes_it_first_and_retries(api: Api, provider: httpx.Client) -> None:
    """GIVEN a refund the provider keeps failing WHEN its SLA passes THEN the customer may chase
    it; WHEN they do THEN it is in support's chased list (support's first queue), a second chase
    is refused with when it may be chased again; WHEN the provider is back and support retries
    THEN it succeeds, paid once."""
    provider.post("/admin/config", json={"error_5xx": 1.0})
    cust = customer()
    order = new_order(api, cust, api.product(price=2300))
    pay(api, order, "alipay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="duplicate_order")
    assert r.status_code == 201, r.text
    refund_id = r.json()["refund_id"]
    eventually(lambda: refund_of(api, cust, order["order_id"])["status"] != "pending", timeout=60)
    path = f"/v1/orders/{order['order_id']}/refunds/{refund_id}/chase"
    early = api.error(api.call("POST", path, cust), 409, "REFUND_CHASE_NOT_ALLOWED")
    assert early["details"]["overdue"] is False
    api.advance(REFUND_SLA_SECONDS)
    assert refund_of(api, cust, order["order_id"])["recovery"]["may_chase"] is True
    chased = api.ok("POST", path, cust)
    assert chased["chased_at"] and chased["recovery"]["chase_from"]
    assert chased["recovery"]["may_chase"] is False
    again = api.error(api.call("POST", path, cust), 409, "REFUND_CHASE_NOT_ALLOWED")
    assert again["details"]["chase_from"]
    first = api.ok("GET", "/v1/refunds?chased=true&limit=100", SUPPORT)["items"]
    assert refund_id in [x["refund_id"] for x in first]
    [mine] = [x for x in first if x["refund_id"] == refund_id]
    assert mine["chases"] == 1 and mine["overdue"] is True
    timeline = api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", cust)
    assert "refund.chased" in [e["event"] for e in timeline["entries"]]

    provider.post("/admin/config", json={"error_5xx": 0.0})
    current = refund_of(api, cust, order["order_id"])
    if current["status"] in ("failed", "needs_attention", "needs_customer_action"):
        api.ok("POST", f"/v1/refunds/{refund_id}/retry", SUPPORT)
    eventually(lambda: refund_of(api, cust, order["order_id"])["status"] == "succeeded", timeout=90)
    assert payouts_of(provider, refund_id) == 1
