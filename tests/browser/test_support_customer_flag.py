"""Support flags a customer from the console, with a reason, and clears the flag again; each
change shows in the flag's trail, and the flag decides the customer's next request
(docs/domain.md, "Risk")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Api, cancel, customer, new_order, pay

pytestmark = pytest.mark.browser

SUPPORT = ("support-liu", "support")


def test_support_flags_and_clears_a_customer_with_reasons_from_the_console(
    console: Console, api: Api
) -> None:
    """GIVEN a customer never flagged WHEN support looks them up in the console, flags them with a
    reason THEN the page says flagged, the trail has the change with its reason and who, and the
    customer's next request inside the auto-approval window goes to review; WHEN support clears
    the flag with another reason THEN the trail has both, newest first, and the API agrees; a
    press without a reason is refused and changes nothing."""
    cust = customer()
    page = console.open()
    console.sign_in("support-liu")
    page.wait_for_url("**#/refunds")
    page.get_by_role("link", name="顾客标记").click()
    page.get_by_label("顾客 ID").fill(cust[0])
    page.get_by_role("button", name="查看").click()
    panel = page.locator(f"div.customer-flag[data-customer-id='{cust[0]}']")
    panel.wait_for()
    assert "未标记" in panel.inner_text() and "从未标记" in panel.inner_text()

    with page.expect_response(
        lambda r: r.url.endswith(f"/v1/customers/{cust[0]}/flag") and r.request.method == "POST"
    ) as no_reason:
        panel.get_by_role("button", name="标记为高风险").click()
    assert no_reason.value.status == 422
    assert api.ok("GET", f"/v1/customers/{cust[0]}/flag", SUPPORT)["history"] == []

    page.get_by_label("原因(必填)").fill("两笔订单被拒付")
    panel.get_by_role("button", name="标记为高风险").click()
    console.wait_status(f"已将顾客 {cust[0]} 标记为高风险")
    assert "请求参数不正确" not in page.inner_text("body")  # the earlier refusal is answered
    rows = page.locator("table.flag-history tbody tr")
    assert rows.count() == 1 and "两笔订单被拒付" in rows.nth(0).inner_text()
    assert "support-liu" in rows.nth(0).inner_text()
    console.shot("customer-flag")

    order = new_order(api, cust, api.product(price=3000, keys=2))
    pay(api, order, "alipay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text

    page.get_by_label("原因(必填)").fill("银行撤销了拒付")
    panel = page.locator(f"div.customer-flag[data-customer-id='{cust[0]}']")
    panel.get_by_role("button", name="取消标记").click()
    console.wait_status(f"已取消顾客 {cust[0]} 的标记")
    texts = [page.locator("table.flag-history tbody tr").nth(i).inner_text() for i in range(2)]
    assert "银行撤销了拒付" in texts[0] and "两笔订单被拒付" in texts[1]
    flag: dict[str, Any] = api.ok("GET", f"/v1/customers/{cust[0]}/flag", SUPPORT)
    assert (flag["flagged"], [c["flagged"] for c in flag["history"]]) == (False, [False, True])
