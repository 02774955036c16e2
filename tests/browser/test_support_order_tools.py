"""Support's order tools in the console (docs/domain.md, "Support's tools"): a lost payment
confirmed once however often it is sent, a staff cancel that refunds in full and voids the
keys, and a refusal explained in the page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Api, customer, detail, new_order, pay

pytestmark = pytest.mark.browser


def open_tools(console: Console) -> Any:
    page = console.open()
    console.sign_in("support-liu")
    page.wait_for_url("**#/refunds")
    page.get_by_role("link", name="订单工具").click()
    page.wait_for_url("**#/orders")
    page.on("dialog", lambda d: d.accept())  # the confirmation each action asks for
    return page


def confirm_lost(page: Any, order_id: str, ref: str, amount: str) -> Any:
    form = page.locator("form.lost-payment")
    form.get_by_label("订单号").fill(order_id)
    form.get_by_label("支付机构交易号").fill(ref)
    form.get_by_label("实付金额(元)").fill(amount)
    form.get_by_label("支付渠道").select_option("alipay")
    form.get_by_label("备注(你核实了什么)").fill("支付宝商户后台查到该笔交易成功")
    with page.expect_response(lambda r: r.url.endswith("/lost-payments")) as answer:
        form.get_by_role("button", name="确认该笔支付").click()
    return answer.value


def test_a_lost_payment_confirmed_twice_is_applied_once(console: Console, api: Api) -> None:
    """GIVEN an unpaid order whose payment callback never came WHEN support confirms the payment
    in the console with the provider's trade reference THEN the order is paid and the page says
    so; WHEN support confirms the same trade again THEN the page says nothing changed, and the
    order is paid once with nothing refunded."""
    cust = customer()
    order = new_order(api, cust, api.product("game_card", price=6600, keys=2))
    page = open_tools(console)
    ref = f"2026120322{uuid.uuid4().hex[:10]}"

    first = confirm_lost(page, order["order_id"], ref, "66.00")
    assert first.status == 200, first.text()
    assert first.request.post_data_json == {
        "payment_id": ref,
        "amount": 6600,
        "channel": "alipay",
        "note": "支付宝商户后台查到该笔交易成功",
    }
    result = page.locator(f".order-result[data-order-id='{order['order_id']}']")
    result.wait_for()
    assert "已支付未发货" in result.inner_text() and "¥66.00" in result.inner_text()
    console.shot("order-tools-lost-payment")

    again = confirm_lost(page, order["order_id"], ref, "66.00")
    assert again.status == 200 and again.json()["replayed"] is True
    page.locator(".order-result", has_text="此前已确认过").wait_for()
    d = detail(api, cust, order["order_id"])["order"]
    assert (d["status"], d["paid_amount"], d["refunded_amount"]) == ("paid", 6600, 0)


def test_an_amount_that_is_not_one_is_refused_before_anything_is_sent(console: Console, api: Api) -> None:
    """GIVEN the lost-payment form WHEN support types an amount that is not yuan THEN the page
    says how to type it and sends nothing."""
    page = open_tools(console)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/lost-payments" in r.url else None)
    form = page.locator("form.lost-payment")
    form.get_by_label("订单号").fill("o_00000000000000000000")
    form.get_by_label("支付机构交易号").fill("2026-x")
    form.get_by_label("实付金额(元)").fill("12.345")
    form.get_by_label("备注(你核实了什么)").fill("核对")
    form.get_by_role("button", name="确认该笔支付").click()
    console.wait_status("请以元为单位填写金额")
    assert sent == []


def test_staff_cancel_with_void_refunds_in_full_and_a_second_one_is_explained(
    console: Console, api: Api
) -> None:
    """GIVEN a paid order of two keys WHEN support cancels it for fraud, voiding the keys THEN
    the page shows it cancelled with its refund, the order is refunded in full and both keys are
    voided; WHEN support sends the same cancel again THEN the page explains that the order is
    cancelled already (ORDER_CANCELLED) and nothing changes."""
    cust = customer()
    pid = api.product("game_card", price=4500, keys=3)
    order = new_order(api, cust, pid, 2)
    pay(api, order, "wechat_pay")
    page = open_tools(console)

    def cancel() -> Any:
        form = page.locator("form.staff-cancel")
        form.get_by_label("订单号").fill(order["order_id"])
        form.get_by_label("原因").select_option("fraud")
        form.get_by_label("卡密").select_option("void")
        form.get_by_label("备注(你核实了什么)").fill("风控确认盗刷")
        with page.expect_response(lambda r: r.url.endswith("/staff-cancel")) as answer:
            form.get_by_role("button", name="取消订单").click()
        return answer.value

    done = cancel()
    assert done.status == 200, done.text()
    assert done.request.post_data_json == {"reason": "fraud", "restock": "void", "note": "风控确认盗刷"}
    result = page.locator(f".order-result[data-order-id='{order['order_id']}']")
    result.wait_for()
    assert "已取消" in result.inner_text() and done.json()["refund_ids"][0] in result.inner_text()
    d = detail(api, cust, order["order_id"])["order"]
    assert (d["status"], d["refunded_amount"]) == ("cancelled", 9000)
    assert api.stock(pid)["voided"] == 2 and api.stock(pid)["available"] == 1
    console.shot("order-tools-staff-cancel")

    again = cancel()
    assert again.status == 409
    problem = page.locator("#problem .problem")
    problem.wait_for()
    assert problem.get_attribute("data-code") == "ORDER_CANCELLED" and "订单已取消" in problem.inner_text()
    assert detail(api, cust, order["order_id"])["order"]["refunded_amount"] == 9000
    assert console.errors == []
