"""Support at work on quarantined card keys (docs/domain.md, "Quarantine"): the keys of an order
cancelled while being delivered, listed in the console; one released to stock, one voided, each
with a reason; without a reason nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Api, cancel, customer, fulfil, new_order, pay

pytestmark = pytest.mark.browser

SUPPORT = ("support-liu", "support")


def quarantined_keys(api: Api, order_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.ok(
            "GET", "/v1/stock/quarantine?limit=50" + (f"&cursor={cursor}" if cursor else ""), SUPPORT
        )
        found += [k for k in page["items"] if k["order_id"] == order_id]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def test_support_releases_one_quarantined_key_and_voids_the_other(console: Console, api: Api) -> None:
    """GIVEN an order of two keys cancelled on a stop-delivery fulfilment aborted (its keys
    quarantined)
    WHEN support opens the quarantine list THEN both keys are there with the order; WHEN support
    presses Release without a reason THEN the page asks for one and nothing is sent; WHEN support
    types a reason and releases the first, and voids the second THEN the stock shows one more
    available and one voided, and the list no longer has them."""
    pid, cust = api.product(keys=3), customer()
    order = new_order(api, cust, pid, 2)
    pay(api, order, "alipay")
    fulfil(api, order["order_id"], "start")
    r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    fulfil(api, order["order_id"], "aborted")  # fulfilment's answer: nothing went out
    first, second = (k["key_id"] for k in quarantined_keys(api, order["order_id"]))
    assert api.stock(pid)["quarantined"] == 2

    page = console.open()
    console.sign_in("support-liu")
    page.wait_for_url("**#/refunds")
    page.get_by_role("link", name="隔离卡密").click()
    page.wait_for_url("**#/quarantine")
    row = page.locator(f"tr[data-key-id='{first}']")
    row.wait_for()
    assert order["order_id"] in row.inner_text()
    assert page.locator(f"tr[data-key-id='{second}']").count() == 1
    console.shot("quarantine")

    sent: list[str] = []
    page.on("request", lambda req: sent.append(req.url) if "/v1/stock/products/" in req.url else None)
    row.get_by_role("button", name=f"将卡密 {first} 放回库存").click()
    console.wait_status("请先填写原因")
    assert sent == [] and api.stock(pid)["quarantined"] == 2

    row.get_by_role("textbox", name=f"卡密 {first} 的原因").fill("履约确认未读取")
    with page.expect_response(lambda r: r.url.endswith(f"/keys/{first}/release")) as answer:
        row.get_by_role("button", name=f"将卡密 {first} 放回库存").click()
    assert answer.value.status == 200, answer.value.text()
    console.wait_status(f"已将卡密 {first} 放回库存")
    page.locator(f"tr[data-key-id='{first}']").wait_for(state="detached")

    other = page.locator(f"tr[data-key-id='{second}']")
    other.get_by_role("textbox", name=f"卡密 {second} 的原因").fill("可能已泄露")
    with page.expect_response(lambda r: r.url.endswith(f"/keys/{second}/void")) as answer:
        other.get_by_role("button", name=f"作废卡密 {second}").click()
    assert answer.value.status == 200, answer.value.text()
    console.wait_status(f"已作废卡密 {second}")
    page.locator(f"tr[data-key-id='{second}']").wait_for(state="detached")
    assert api.stock(pid) == {"available": 2, "reserved": 0, "quarantined": 0, "delivered": 0, "voided": 1}
    assert quarantined_keys(api, order["order_id"]) == []
