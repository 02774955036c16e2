"""Reviewers and support at work in the console, against the real API of the local runtime:
claim, check, approve (and the customer sees the refund), reject with a reason, two reviewers
racing for one task, the senior reviewers' appeals and support's overdue refunds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TABLET, Console, publish_readme_shot
from tests.browser.test_console_basics import UNLABELLED_CONTROLS, overflow
from tests.e2e.conftest import Api, cancel, customer, eventually, new_order, pay

pytestmark = pytest.mark.browser

REVIEWER = ("rev-wang", "reviewer")
CHECKS_ZH = ("已核实订单状态", "已判断凭证", "已确认退款路径")
LEASE_SECONDS = 11 * 60  # a little over the default 10-minute lease


def open_tasks(api: Api) -> list[dict[str, Any]]:
    body = api.ok("GET", "/v1/reviews?status=open", REVIEWER)
    return list(body["items"])


def task(api: Api, task_id: str) -> dict[str, Any]:
    body = api.ok("GET", f"/v1/reviews/{task_id}", REVIEWER)
    return dict(body.get("task", body))


def top_task(api: Api) -> dict[str, Any]:
    """The task claim-next will hand an ordinary reviewer (appeals against rejections are for seniors)."""
    return eventually(lambda: [t for t in open_tasks(api) if not t.get("senior_only")][:1])[0]


@pytest.fixture
def fresh_task(api: Api) -> dict[str, Any]:
    """One more open task, so every test finds work whatever the tests before it decided."""
    return make_task(api)


def make_task(api: Api) -> dict[str, Any]:
    """An open task made through the customer and platform APIs: a new customer's request to
    cancel a paid order above the auto-approval ceiling (¥500 for game cards), so a reviewer
    decides it. (Not a stop-delivery: fulfilment answers those, docs/domain.md "Stop delivery".)"""
    cust = customer()
    order = new_order(api, cust, api.product("game_card", price=61234, keys=2))
    pay(api, order, "alipay")
    r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code in (200, 201, 202), r.text
    return eventually(lambda: [t for t in open_tasks(api) if t["order_id"] == order["order_id"]])[0]


def claim_in_page(c: Console) -> str:
    """Press N on the queue; returns the claimed task's id once its page shows it as ours."""
    page = c.page
    page.wait_for_selector("#queue-title")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"#/task/"))
    page.wait_for_selector("#approve:not([disabled])")
    return str(page.url).rsplit("/", 1)[1]


def tick_checklist(page: Any) -> None:
    for label in CHECKS_ZH:
        page.get_by_label(label).check()


def test_reviewer_claims_the_top_task_checks_approves_and_the_customer_sees_the_refund(
    console: Console, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN open tasks WHEN a reviewer signs in THEN the queue lists the API's top task first
    with its SLA, amount in ¥ and risk; WHEN they press N THEN that task opens, leased to them;
    WHEN they approve without the checks THEN the page says the checks are needed; WHEN they tick
    the three checks, enter a partial ¥30.5 and approve THEN the API records the approval of 3050
    fen and the customer's order (customer API, customer token) shows that refund."""
    top = top_task(api)
    # a fresh runtime's top task: the demo's urgent appeal of a delivered order (local/demo.py),
    # which takes a partial refund
    assert top["action"] == "appeal"
    page = console.open()
    console.sign_in("rev-wang")
    first = page.locator("table.tasks tbody tr").first
    first.wait_for()
    assert first.get_attribute("data-task-id") == open_tasks(api)[0]["task_id"]
    row = first.inner_text()
    assert "¥" in row and re.search(r"剩余 \d+:\d\d|已超时", row)
    shot = console.shot("queue")
    publish_readme_shot(shot)

    task_id = claim_in_page(console)
    assert task_id == top["task_id"]
    assert task(api, task_id)["lease_holder"] == "rev-wang"
    page.wait_for_selector("text=此任务由你处理")
    page.locator(".evidence img").first.wait_for()  # the demo appeal's screenshot, by its download link
    assert page.evaluate("document.querySelector('.evidence img').naturalWidth") > 0
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    console.shot("task")

    page.get_by_role("button", name="批准", exact=True).click()
    assert page.locator("#decision-error").inner_text() == "批准前请完成三项核查。"
    assert task(api, task_id)["status"] == "claimed"  # nothing was sent

    tick_checklist(page)
    page.get_by_label("部分退款金额(元,可选)").fill("30.5")
    with page.expect_response(lambda r: r.url.endswith(f"/v1/reviews/{task_id}/decision")) as answer:
        page.get_by_role("button", name="批准", exact=True).click()
    assert answer.value.request.post_data_json["refund_amount"] == 3050  # ¥30.50 in fen
    decision = answer.value.json()
    assert answer.value.status == 200, decision
    assert decision["outcome"] == "approved" and decision["refund_id"]
    page.wait_for_url(re.compile(r"#/queue$"))
    console.wait_status("已批准")

    customer = (top["customer_id"], "customer")
    order = api.ok("GET", f"/v1/orders/{top['order_id']}", customer)
    refunds = order["cancellation"]["refunds"]
    assert [r["amount"] for r in refunds if r["refund_id"] == decision["refund_id"]] == [3050]
    assert order["order"]["refunded_amount"] == 3050


def test_a_rejection_needs_a_reason_and_the_customer_sees_it(
    console: Console, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN a reviewer holding a task WHEN they press R with no note THEN nothing is sent and the
    cursor goes to the note; WHEN they type there THEN the shortcut letters are just text; WHEN
    they write the reason and press Ctrl+Enter THEN the task is rejected with that reason, and the
    customer's timeline shows the rejection."""
    page = console.open()
    console.sign_in("rev-zhao")
    task_id = claim_in_page(console)

    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "note"
    assert "驳回理由" in page.locator("#decision-error").inner_text()
    assert task(api, task_id)["status"] == "claimed"

    # typing letters that are shortcuts elsewhere (n, a, r, i) only types them
    page.locator("#note").press_sequentially("rain")
    assert page.locator("#note").input_value() == "rain"
    assert task(api, task_id)["status"] == "claimed" and f"#/task/{task_id}" in page.url

    reason = "订单已开始发货,卡密已锁定,不符合取消条件"
    page.locator("#note").fill(reason)
    with page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
        page.keyboard.press("Control+Enter")
    assert answer.value.status == 200, answer.value.text()
    page.wait_for_url(re.compile(r"#/queue$"))
    console.wait_status("已驳回")

    decided = task(api, task_id)
    assert decided["status"] == "decided" and decided["outcome"] == "rejected"
    assert decided["note"] == reason
    customer = (decided["customer_id"], "customer")
    timeline = api.ok("GET", f"/v1/orders/{decided['order_id']}/timeline", customer)
    assert any(
        e["event"] == "review.decided" and e["outcome"] == "rejected" and e["rejection_reason"] == reason
        for e in timeline["entries"]
    )


def test_asking_for_more_information_on_a_tablet(
    browser: Any, runtime: Any, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN a reviewer on a tablet (768 px) holding a task WHEN they press I with no note THEN the
    cursor goes to the note; WHEN they write the question and press Ctrl+Enter THEN the task waits
    for the customer with the SLA clock paused; the task page fits the width and is labelled."""
    c = Console(browser, runtime, TABLET)
    try:
        page = c.open()
        c.sign_in("rev-wang")
        task_id = claim_in_page(c)
        assert overflow(page) <= 0
        assert page.evaluate(UNLABELLED_CONTROLS) == []
        c.shot("task-768")
        page.keyboard.press("i")
        assert page.evaluate("document.activeElement.id") == "note"
        page.locator("#note").fill("请上传支付成功页面的截图")
        with page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
            page.keyboard.press("Control+Enter")
        assert answer.value.status == 200, answer.value.text()
        assert answer.value.request.post_data_json["outcome"] == "need_info"
        page.wait_for_url(re.compile(r"#/queue$"))
        c.wait_status("SLA 计时暂停")
        waiting = task(api, task_id)
        assert (
            waiting["status"] == "waiting_customer" and waiting["info_request"] == "请上传支付成功页面的截图"
        )
    finally:
        c.close()
    assert not c.errors, c.errors


def test_two_reviewers_cannot_both_decide_one_task_and_the_second_sees_why(
    console: Console, second_console: Console, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN reviewer A holding a task in one browser WHEN A's lease runs out, reviewer B (another
    browser context) claims the same task and approves it THEN A's open page shows by itself who
    decided it; WHEN A approves anyway from that page THEN A is told in plain words that someone
    else decided it and that nothing was saved, with the way on; and the task keeps B's decision."""
    a, b = console, second_console
    a.open()
    a.sign_in("rev-wang")
    task_id = claim_in_page(a)

    api.advance(LEASE_SECONDS)  # A's lease expires (business time)

    b.open()
    b.sign_in("rev-zhao")
    assert claim_in_page(b) == task_id
    tick_checklist(b.page)
    with b.page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
        b.page.get_by_role("button", name="批准", exact=True).click()
    assert answer.value.status == 200, answer.value.text()
    # A's open page notices by itself (background check of the task, every pollMs = 5 s), before A
    # does anything: wait three checks, not one (a check just before B's decision sees only B's
    # claim, and the next one can land past a 5 s wait on a loaded machine: CI saw exactly that)
    expect(a.page.locator(".lease")).to_contain_text("此任务已处理:已批准(rev-zhao", timeout=15_000)

    tick_checklist(a.page)
    with a.page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
        a.page.get_by_role("button", name="批准", exact=True).click()
    assert answer.value.status == 409
    problem = a.page.locator("#problem .problem")
    problem.wait_for()
    assert problem.get_attribute("data-code") == "TASK_ALREADY_DECIDED"
    text = problem.inner_text()
    assert "此任务已被处理" in text and "你的决定没有保存" in text and "领取下一个" in text
    expect(a.page.locator("#approve")).to_be_disabled()  # the page now shows the task as it is
    a.shot("conflict-already-decided")

    final = task(api, task_id)
    assert final["decided_by"] == "rev-zhao" and final["outcome"] == "approved"


def test_the_queue_refreshes_and_counts_down_by_itself(console: Console, api: Api) -> None:
    """GIVEN a reviewer looking at the queue WHEN a new task arrives THEN its row appears without
    reloading the page; and the SLA countdowns tick."""
    page = console.open()
    console.sign_in("rev-zhao")
    page.locator("table.tasks tbody tr").first.wait_for()
    first_sla = page.locator("table.tasks tbody tr .countdown").first
    before = first_sla.inner_text()
    page.wait_for_function(
        "(before) => document.querySelector('table.tasks tbody tr .countdown').textContent !== before",
        arg=before,
    )
    new = make_task(api)
    page.locator(f"tr[data-task-id='{new['task_id']}']").wait_for()
    assert "¥612.34" in page.locator(f"tr[data-task-id='{new['task_id']}']").inner_text()


def test_a_lease_that_ran_out_is_explained_in_english(
    console: Console, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN an English-speaking reviewer holding a task WHEN their lease runs out and they reject
    THEN the page says their claim expired, nothing was saved, and what to do, in English."""
    page = console.open(lang="en")
    console.sign_in("rev-wang")
    task_id = claim_in_page(console)
    api.advance(LEASE_SECONDS)
    page.locator("#note").fill("the key was used before the request")
    with page.expect_response(lambda r: r.url.endswith("/decision")) as answer:
        page.get_by_role("button", name="Reject", exact=True).click()
    assert answer.value.status == 409
    assert answer.value.request.headers["accept-language"] == "en"
    assert answer.value.json()["error"]["message"] == "You do not hold this task, or your claim expired"
    problem = page.locator("#problem .problem")
    problem.wait_for()
    assert problem.get_attribute("data-code") == "LEASE_NOT_HELD"
    text = problem.inner_text()
    assert "Your claim expired" in text and "NOT saved" in text and "claim the next task" in text
    assert task(api, task_id)["status"] in ("open", "claimed")  # not decided
    console.shot("conflict-lease-expired-en")


def claim_until(api: Api, reviewer: tuple[str, str], task_id: str) -> None:
    """Claim-next through the API until ``task_id`` is ours; the others go straight back."""
    others = []
    while True:
        got = api.ok("POST", "/v1/reviews/claim-next", reviewer)
        got_id = got.get("task", got)["task_id"]
        if got_id == task_id:
            break
        others.append(got_id)
    for other in others:
        api.ok("POST", f"/v1/reviews/{other}/release", reviewer)


def test_a_senior_reviewer_sees_the_appeal_against_a_rejection(
    console: Console, api: Api, fresh_task: dict[str, Any]
) -> None:
    """GIVEN a request rejected by a reviewer and appealed by its customer WHEN a senior reviewer
    opens the appeals view THEN the appeal is listed with who rejected it; the task page shows who
    rejected it, read-only until claimed; Esc goes back to the queue."""
    rejecter = ("rev-zhao", "reviewer")
    claim_until(api, rejecter, fresh_task["task_id"])
    body = {"outcome": "reject", "note": "卡密已锁定,不能取消"}
    api.ok("POST", f"/v1/reviews/{fresh_task['task_id']}/decision", rejecter, body)
    cust = (fresh_task["customer_id"], "customer")
    path = f"/v1/orders/{fresh_task['order_id']}/cancellations/{fresh_task['request_id']}/appeal"
    r = api.call("POST", path, cust, {"text": "发货前已经申请拦截,请复核", "refund_to": "balance"})
    assert r.status_code in (200, 201, 202), r.text
    appeal = eventually(
        lambda: [
            t
            for t in open_tasks(api)
            if t["order_id"] == fresh_task["order_id"] and t.get("kind") == "rejection_appeal"
        ]
    )[0]

    page = console.open()
    console.sign_in("senior-chen")
    page.get_by_role("link", name="驳回申诉").click()
    row = page.locator(f"tr[data-task-id='{appeal['task_id']}']")
    row.wait_for()
    assert "rev-zhao" in row.inner_text() and "需高级审核" in row.inner_text()
    console.shot("appeals")
    row.get_by_role("link").click()
    page.wait_for_selector("#task-title")
    assert "rev-zhao" in page.locator(".facts-col").inner_text()
    assert page.locator("#approve").is_disabled()  # not claimed yet: read-only
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"#/queue$"))
