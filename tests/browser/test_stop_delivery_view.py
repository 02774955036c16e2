"""The reviewer's view of a stop-delivery waiting for fulfilment (docs/domain.md, "Stop
delivery"): the page says fulfilment was asked to abort and when its answer is due, no decision
is offered, claim-next passes the task by; once fulfilment answers `aborted` the page shows the
task decided."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Console
from tests.e2e.conftest import REVIEWER, Api, cancel, customer, eventually, fulfil, new_order, pay, try_claim

pytestmark = pytest.mark.browser


def test_a_stop_waiting_for_fulfilment_is_shown_and_not_offered(console: Console, api: Api) -> None:
    """GIVEN a stop-delivery on a delivering order (fulfilment asked to abort) WHEN a reviewer
    opens its task THEN the page says fulfilment was asked at that time with the answer's
    countdown, the order shows the abort, and every decision button is disabled with the reason;
    claim-next never offers it; WHEN fulfilment answers `aborted` THEN the open page shows the
    task decided by itself."""
    cust = customer()
    order = new_order(api, cust, api.product("game_card", price=4321))
    pay(api, order, "alipay")
    fulfil(api, order["order_id"], "start")
    r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    task = eventually(
        lambda: [
            t
            for t in api.ok("GET", "/v1/reviews?status=open&limit=100", REVIEWER)["items"]
            if t["order_id"] == order["order_id"]
        ]
    )[0]

    page = console.open()
    console.sign_in("rev-wang")
    page.goto(f"{console.url}#/task/{task['task_id']}")
    banner = page.locator(".lease[role=status]")
    expect(banner).to_contain_text("要求履约方停止发货")
    expect(banner.locator(".countdown")).to_contain_text("还剩")
    expect(page.get_by_text("已要求履约方中止")).to_be_visible()
    expect(page.get_by_text("履约方答复中止请求之前不能作出决定")).to_be_visible()
    for button in ("#approve", "#reject", "#need-info"):
        expect(page.locator(button)).to_be_disabled()
    console.shot("stop-waiting-for-fulfilment")

    assert try_claim(api, REVIEWER, task["task_id"]) is None  # claim-next never offers it

    fulfil(api, order["order_id"], "aborted")
    expect(page.locator(".lease.decided")).to_be_visible(timeout=20_000)
    assert console.errors == []
