"""The reference customer page (web/) in headless Chromium against the running system: each
journey at a phone's width (390 px) and a laptop's (1280 px), in zh-CN and in English, by
keyboard where a person would, with an axe-core scan of every view reporting no serious or
critical violation. Screenshots go to artifacts/screenshots/ (one is docs/customer-page.png).

Runs last in this directory (hence its name): its journeys move business time on and leave
requests in the review queue, which the console's tests, reading the demo's queue, must not see."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

import tests.e2e.conftest as e2e
from tests.browser.conftest import ROOT, SHOTS
from tests.e2e.conftest import (
    SENIOR,
    Api,
    cancel,
    claim,
    customer,
    decide,
    eventually,
    new_order,
    open_task,
    pay,
    stuck_refund,
)

provider = e2e.provider  # the simulator's admin API (a fixture), shared with the e2e suite
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
WORDS = {  # what the page itself says (web/i18n.js), per language
    "zh-CN": {"cancelled": "订单已取消", "review": "预计", "signin": "选择账号登录", "unread": "条未读"},
    "en": {
        "cancelled": "The order is cancelled",
        "review": "a decision is expected",
        "signin": "Choose an account",
        "unread": "unread",
    },
}


class Customer:
    """One customer's tab on the page, signed in with their token (as the platform's app would)."""

    def __init__(
        self, browser: Any, runtime: Any, api: Api, who: tuple[str, str], lang: str, size: str
    ) -> None:
        self.lang, self.size, self.api = lang, size, api
        self.context = browser.new_context(viewport=WIDTHS[size], locale=lang, timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(f"localStorage.setItem('cancelflow.web.lang', '{lang}');")
        self.page = self.context.new_page()
        self.sign_in(who)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.base = runtime.urls["web"]

    def sign_in(self, who: tuple[str, str]) -> None:
        """As the platform's app would: the customer's token in the page's session."""
        self.who = who
        session = json.dumps({"sub": who[0], "token": self.api.token(*who)})
        self.context.add_init_script(
            f"sessionStorage.setItem('cancelflow.web.session', {json.dumps(session)});"
        )

    def open(self, fragment: str) -> Any:
        self.page.goto(self.base + fragment)
        self.page.wait_for_selector("body[data-ready=true]")
        self.page.wait_for_selector("#page-title")
        return self.page

    def status(self, text: str) -> None:
        self.page.wait_for_function(
            "(t) => (document.querySelector('#status').dataset.message || '').includes(t)", arg=text
        )

    def check(self, view: str) -> None:
        """No serious or critical axe violation, no sideways scrolling; a screenshot kept."""
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        assert not bad, (view, self.lang, self.size, bad)
        assert self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, view
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"customer-{view}-{self.lang}-{self.size}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors


@pytest.fixture(
    params=[(lang, size) for lang in ("zh-CN", "en") for size in WIDTHS], ids=lambda p: f"{p[0]}-{p[1]}"
)
def combo(request: pytest.FixtureRequest) -> tuple[str, str]:
    lang, size = request.param
    return lang, size


@pytest.fixture
def tab(browser: Any, runtime: Any, api: Api, combo: tuple[str, str]) -> Iterator[Customer]:
    """A new customer's tab (``who`` is None: set it before opening, for a customer made elsewhere)."""
    c = Customer(browser, runtime, api, customer(), *combo)
    yield c
    c.close()


def _paid(api: Api, who: tuple[str, str], price: int) -> dict[str, Any]:
    order = new_order(api, who, api.product(price=price))
    pay(api, order, "alipay")
    return order


def test_my_orders_and_an_unpaid_order_cancelled_with_confirmation(api: Api, tab: Customer) -> None:
    """GIVEN an unpaid order WHEN its customer opens My orders, the order, and its cancel button
    (enabled) THEN a confirmation asks first; saying no changes nothing, saying yes (by keyboard)
    cancels it and the page says so; the other actions stay disabled, each with its reason."""
    who = tab.who
    order = new_order(api, who, api.product(price=1800))
    page = tab.open("#/orders")
    link = page.locator(f"a[href='#/orders/{order['order_id']}']")
    tab.check("orders")
    link.click()
    page.wait_for_selector("#order-status")
    cancel_button = page.locator("button[data-action=self_cancel]")
    assert cancel_button.is_enabled()
    disabled = page.locator(".action button:disabled")
    assert disabled.count() >= 1
    for i in range(disabled.count()):  # every disabled action says why, as its description
        why = page.locator("#" + str(disabled.nth(i).get_attribute("aria-describedby")))
        assert why.inner_text().strip()
    tab.check("order-unpaid")
    cancel_button.click()
    page.wait_for_selector("dialog#confirm[open]")
    tab.check("confirm")
    page.locator("dialog#confirm button[value=no]").click()
    assert api.ok("GET", f"/v1/orders/{order['order_id']}", who)["order"]["status"] == "pending_payment"
    cancel_button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#confirm[open]")
    page.locator("dialog#confirm button[value=yes]").focus()
    page.keyboard.press("Enter")
    tab.status(WORDS[tab.lang]["cancelled"])
    assert api.ok("GET", f"/v1/orders/{order['order_id']}", who)["order"]["status"] == "cancelled"


def test_a_request_with_reason_details_and_a_screenshot_then_its_timeline(api: Api, tab: Customer) -> None:
    """GIVEN a paid order past its auto-approval window WHEN its customer asks to cancel with a
    reason, details (under the API's hint) and a screenshot THEN the page says when a decision is
    expected, the request carries the screenshot, and the timeline shows the request."""
    who = tab.who
    order = _paid(api, who, 5000)
    api.advance(11 * 60)
    page = tab.open(f"#/orders/{order['order_id']}")
    page.locator("button[data-action=request]").click()
    page.wait_for_selector("#request-reason")
    page.select_option("#request-reason", "wrong_info")
    page.fill("#request-text", "wrong game account")
    page.set_input_files(
        "#request-files", files=[{"name": "shot.png", "mimeType": "image/png", "buffer": PNG}]
    )
    tab.check("request-form")
    page.locator("#request-text").focus()
    page.locator(".action:has(button[data-action=request]) form button[type=submit]").click()
    tab.status(WORDS[tab.lang]["review"])
    page.wait_for_selector("#timeline li[data-event='cancellation.requested']")
    [req] = api.ok("GET", f"/v1/orders/{order['order_id']}", who)["cancellation"]["requests"]
    assert (req["reason_code"], req["status"], len(req["evidence"])) == ("wrong_info", "under_review", 1)
    tab.check("order-under-review")


def test_a_conversation_with_support_about_a_request(api: Api, tab: Customer) -> None:
    """GIVEN a request under review WHEN its customer opens its conversation and writes, with a
    screenshot THEN the message shows its image and the page says by when support answers; once
    support has answered, the customer reads it there (opening it marks it read for support)."""
    who = tab.who
    order = _paid(api, who, 3900)
    api.advance(11 * 60)
    r = cancel(api, who, order["order_id"], action="request", reason_code="wrong_info")
    rid = r.json()["request_id"]
    page = tab.open(f"#/orders/{order['order_id']}")
    thread = page.locator(f"details[data-thread='{rid}']")
    thread.locator("summary").click()
    thread.locator("textarea").fill("is my request being looked at?")
    shot = {"name": "shot.png", "mimeType": "image/png", "buffer": PNG}
    thread.locator("input[type=file]").set_input_files(files=[shot])
    thread.locator("button[type=submit]").click()
    thread.locator("li[data-author=customer] [data-images='1']").wait_for()
    tab.check("conversation")
    path = f"/v1/orders/{order['order_id']}/threads/{rid}"
    api.ok("POST", f"{path}/messages", ("support-e2e", "support"), {"text": "yes, today"}, status=201)
    page.reload()  # (the same address: a goto would not load the page again)
    page.wait_for_selector("#order-status")
    thread = page.locator(f"details[data-thread='{rid}']")
    thread.locator("summary").click()
    thread.locator("li[data-author=staff]").wait_for()
    assert "yes, today" in thread.inner_text()
    assert api.ok("GET", path, who)["customer_read_at"]


def test_an_appeal_against_a_rejection(api: Api, tab: Customer) -> None:
    """GIVEN a request rejected with a reason WHEN its customer opens the order THEN the reason
    shows and the appeal button is enabled; an appeal with text and balance as the refund goes
    to review."""
    who = tab.who
    order = _paid(api, who, 6000)
    api.advance(11 * 60)
    r = cancel(api, who, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    task = open_task(api, order["order_id"])
    claim(api, SENIOR, task["task_id"])
    assert decide(api, SENIOR, task["task_id"], "reject", note="details were correct").status_code == 200
    page = tab.open(f"#/orders/{order['order_id']}")
    page.wait_for_selector("text=details were correct")
    page.locator("button[data-action=appeal_rejection]").click()
    page.fill("#appeal_rejection-text", "I typed the wrong account")
    page.select_option("#appeal_rejection-refund_to", "balance")
    tab.check("appeal-form")
    page.locator(".action:has(button[data-action=appeal_rejection]) form button[type=submit]").click()
    tab.status(WORDS[tab.lang]["review"])
    eventually(lambda: open_task(api, order["order_id"], kind="rejection_appeal"))


def test_a_stuck_refund_fixed_by_the_customer(api: Api, tab: Customer, provider: Any) -> None:
    """GIVEN a refund that cannot reach the closed account it was paid from WHEN its customer
    opens the order THEN the page explains it (the API's hint) and offers the fixes; choosing the
    balance sends it there."""
    cust, order, refund = stuck_refund(api, provider, "alipay", 2100)
    tab.sign_in(cust)
    page = tab.open(f"#/orders/{order['order_id']}")
    row = page.locator(f"li[data-refund='{refund['refund_id']}']")
    row.wait_for()
    assert row.locator("p").first.inner_text().strip()  # the API's hint, in the page's language
    tab.check("refund-stuck")
    row.locator("button[data-fix=to_balance]").focus()
    page.keyboard.press("Enter")

    def moved() -> bool:
        [r] = api.ok("GET", f"/v1/orders/{order['order_id']}", cust)["cancellation"]["refunds"]
        return bool(r["channel"] == "balance")

    eventually(moved)


def test_the_inbox_counts_unread_and_marks_read(api: Api, tab: Customer) -> None:
    """GIVEN a customer whose cancellation was approved at once THEN the inbox shows its messages
    in the page's language with the unread count; marking one read lowers the count in the
    header's badge and on the page."""
    who = tab.who
    order = _paid(api, who, 2300)
    cancel(api, who, order["order_id"], action="request", reason_code="changed_mind")

    # all three messages first (approved at once, refund started, arrived): a count that could
    # still grow while the page is read would make the badge's number a race
    def told() -> bool:
        kinds = {n["kind"] for n in api.ok("GET", "/v1/inbox", who)["items"]}
        return "refund_succeeded" in kinds

    eventually(told, timeout=90)
    unread = api.ok("GET", "/v1/inbox/unread-count", who)["unread"]
    assert unread == 3
    page = tab.open("#/inbox")
    page.wait_for_selector("#inbox li.unread")
    expected_title = {"zh-CN": "订单已取消", "en": "Order cancelled"}[tab.lang]
    assert page.locator(f"li[data-kind=cancelled_at_once] strong:text-is('{expected_title}')").count() == 1
    page.wait_for_function("(n) => document.querySelector('#unread').textContent === String(n)", arg=unread)
    tab.check("inbox")
    page.locator("li.unread button[data-mark]").first.click()
    page.wait_for_function(
        "(n) => document.querySelector('#unread').textContent === String(n)", arg=unread - 1
    )
    assert api.ok("GET", "/v1/inbox/unread-count", who)["unread"] == unread - 1
    assert WORDS[tab.lang]["unread"] in page.locator("#unread-line").inner_text()
    if tab.lang == "zh-CN" and tab.size == "phone":
        publish_shot(SHOTS / f"customer-inbox-{tab.lang}-{tab.size}.png")


def test_the_local_demo_sign_in(browser: Any, runtime: Any) -> None:
    """GIVEN no session THEN the page offers the demo customers; choosing one opens My orders."""
    context = browser.new_context(viewport=WIDTHS["phone"], locale="en")
    try:
        page = context.new_page()
        page.goto(runtime.urls["web"])
        page.wait_for_selector("button.user-choice[data-sub=cust-lilei]")
        assert WORDS["zh-CN"]["signin"] in page.locator("#page-title").inner_text()
        page.select_option("#lang", "en")
        assert WORDS["en"]["signin"] in page.locator("#page-title").inner_text()
        page.locator("button.user-choice[data-sub=cust-lilei]").click()
        page.wait_for_selector("#orders li")
        assert page.locator("#nav").is_visible()
    finally:
        context.close()


def publish_shot(path: Any) -> None:
    """docs/customer-page.png for the README: written when missing, renewed with
    ``CANCELFLOW_UPDATE_DOCS_SHOT=1`` (an ordinary run leaves the tree clean)."""
    target = ROOT / "docs" / "customer-page.png"
    if not target.exists() or os.environ.get("CANCELFLOW_UPDATE_DOCS_SHOT") == "1":
        shutil.copyfile(path, target)
