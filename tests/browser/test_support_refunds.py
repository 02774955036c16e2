"""Support at work: an overdue refund that needs the customer, retried from the console once the
customer fixed their account. Runs last in this directory: it moves business time an hour on."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Api, cancel, customer, detail, eventually, new_order, pay

pytestmark = pytest.mark.browser

SUPPORT = ("support-liu", "support")
REFUND_SLA_SECONDS = 61 * 60  # Alipay's refund SLA is one hour (docs/domain.md, "Refund SLA and overdue")


def refund_of(api: Api, cust: tuple[str, str], order_id: str) -> dict[str, Any]:
    refunds = detail(api, cust, order_id)["cancellation"]["refunds"]
    assert len(refunds) == 1, refunds
    return dict(refunds[0])


def overdue_ids(api: Api) -> list[str]:
    body = api.ok("GET", "/v1/refunds?overdue=true&limit=100", SUPPORT)
    return [r["refund_id"] for r in body["items"]]


def test_support_retries_an_overdue_refund_after_the_customer_fixed_the_account(
    console: Console, api: Api, runtime: Any
) -> None:
    """GIVEN an auto-approved cancellation whose Alipay account is closed (the refund waits for
    the customer) and whose refund SLA has passed WHEN support opens the console THEN it lands on
    the overdue refunds with that refund, its amount in ¥ and state; WHEN the customer reopened the
    account and support presses Retry THEN the refund goes back to the worker and succeeds."""
    provider = httpx.Client(base_url=runtime.urls["provider"], timeout=10)
    trade = f"pay-{uuid.uuid4().hex[:12]}"
    provider.post("/admin/accounts", json={"trade": trade, "closed": True}).raise_for_status()
    cust = customer()
    order = new_order(api, cust, api.product("software_license", price=8800, keys=2))
    pay(api, order, "alipay", payment_id=trade)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code in (200, 201, 202) and r.json()["outcome"] == "refund_started", r.text
    refund = eventually(
        lambda: (x := refund_of(api, cust, order["order_id"]))["status"] == "needs_customer_action" and x
    )
    api.advance(REFUND_SLA_SECONDS)  # the schedules run at once and flag it overdue
    eventually(lambda: refund["refund_id"] in overdue_ids(api))

    page = console.open()
    console.sign_in("support-liu")
    page.wait_for_url("**#/refunds")
    row = page.locator(f"tr[data-refund-id='{refund['refund_id']}']")
    row.wait_for()
    text = row.inner_text()
    assert "¥88.00" in text and "待顾客处理" in text and "已超时" in text
    console.shot("refunds")

    provider.post("/admin/accounts", json={"trade": trade, "closed": False}).raise_for_status()
    with page.expect_response(lambda r: r.url.endswith(f"/v1/refunds/{refund['refund_id']}/retry")) as answer:
        row.get_by_role("button", name=f"重试退款 {refund['refund_id']}").click()
    assert answer.value.status == 200, answer.value.text()
    console.wait_status(f"已重试退款 {refund['refund_id']}")
    eventually(lambda: refund_of(api, cust, order["order_id"])["status"] == "succeeded")
    provider.close()


def _stuck_refund(
    api: Api, provider: httpx.Client, price: int
) -> tuple[tuple[str, str], dict[str, Any], dict[str, Any]]:
    trade = f"pay-{uuid.uuid4().hex[:12]}"
    provider.post("/admin/accounts", json={"trade": trade, "closed": True}).raise_for_status()
    cust = customer()
    order = new_order(api, cust, api.product("software_license", price=price, keys=2))
    pay(api, order, "alipay", payment_id=trade)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text
    refund = eventually(
        lambda: (x := refund_of(api, cust, order["order_id"]))["status"] == "needs_customer_action" and x
    )
    return cust, order, refund


def test_support_takes_a_chased_refund_first_and_records_a_manual_refund(
    console: Console, api: Api, runtime: Any
) -> None:
    """GIVEN two refunds the customers' closed accounts cannot receive, both overdue, and one
    chased (催办) by its customer WHEN support opens the refunds THEN the chased one leads, badged,
    whatever the order chosen, and the chased filter shows it; WHEN support records that the other
    was paid by bank transfer THEN it succeeds for its customer and leaves the list, the provider
    having paid nothing."""
    provider = httpx.Client(base_url=runtime.urls["provider"], timeout=10)
    big_cust, big_order, big = _stuck_refund(api, provider, 9900)
    small_cust, small_order, small = _stuck_refund(api, provider, 1200)
    api.advance(REFUND_SLA_SECONDS)
    chase = f"/v1/orders/{small_order['order_id']}/refunds/{small['refund_id']}/chase"
    api.ok("POST", chase, small_cust)

    page = console.open()
    console.sign_in("support-liu")
    page.wait_for_url("**#/refunds")
    page.locator(f"tr[data-refund-id='{big['refund_id']}']").wait_for()
    page.locator("select#refunds\\.sort").select_option("amount")
    ids = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.refundId)")
    assert ids[0] == small["refund_id"] and big["refund_id"] in ids, ids
    assert "已催办 1 次" in page.locator(f"tr[data-refund-id='{small['refund_id']}']").inner_text()
    page.locator("select#refunds\\.filter").select_option("chased")
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 1")
    console.shot("refunds-chased")
    page.locator("select#refunds\\.filter").select_option("stuck")

    row = page.locator(f"tr[data-refund-id='{big['refund_id']}']")
    row.locator("summary").click()
    row.locator("input[data-field='reference']").fill("BT-20261203-01")
    row.locator("input[data-field='note']").fill("支付宝已注销,已银行转账")
    path = f"/v1/orders/{big_order['order_id']}/manual-refunds"
    with page.expect_response(lambda r: r.url.endswith(path)) as answer:
        row.get_by_role("button", name=f"记录线下退款 {big['refund_id']}").click()
    assert answer.value.status == 201, answer.value.text()
    console.wait_status(f"已记录退款 {big['refund_id']} 的线下退款")
    done = refund_of(api, big_cust, big_order["order_id"])
    assert done["status"] == "succeeded" and done["provider_ref"] == "BT-20261203-01"
    page.locator(f"tr[data-refund-id='{big['refund_id']}']").wait_for(state="detached")
    no = big["refund_id"].replace("_", "")
    assert not [p for p in provider.get("/admin/payouts").json()["payouts"] if p["refund_no"] == no]
    assert not console.errors, console.errors
    provider.close()
