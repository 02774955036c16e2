"""Signing in, the language switch, labels, focus and layout, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LAPTOP, TABLET, Console

pytestmark = pytest.mark.browser

# Every visible control must have a name a screen reader can say.
UNLABELLED_CONTROLS = """() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter((el) => el.offsetParent !== null || el.getClientRects().length)
  .filter((el) => {
    const named = (el.labels && el.labels.length && [...el.labels].some((l) => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').trim()
      || ((el.tagName === 'BUTTON' || el.tagName === 'A') && el.textContent.trim());
    return !named;
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def overflow(page: Any) -> int:
    """How far the page is wider than the window (0 = no sideways scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_sign_in_page_is_chinese_first_and_switches_to_english(console: Console) -> None:
    """GIVEN a first visit WHEN the page opens THEN it is in Chinese (<html lang=zh-CN>);
    WHEN English is chosen THEN the same page speaks English and <html lang> follows;
    WHEN reloaded THEN the choice is kept."""
    page = console.open()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"
    assert page.title() == "取消审核台"
    assert page.locator("button.user-choice[data-sub='rev-wang']").inner_text() == "以 王审核(审核员) 登录"
    console.shot("signin-zh")

    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == "Sign in"
    assert page.title() == "Cancellation review console"
    assert (
        page.locator("button.user-choice[data-sub='rev-wang']").inner_text() == "Sign in as Wang (reviewer)"
    )
    console.wait_status("Switched to English")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"


def test_a_reviewer_signs_in_and_the_whole_page_follows_the_language(console: Console) -> None:
    """GIVEN the sign-in page WHEN a demo reviewer is chosen THEN the queue shows with their name,
    the shortcuts line and no raw i18n keys; WHEN the language is switched THEN every text of
    the header, the queue and the help line changes."""
    page = console.open()
    console.sign_in("rev-wang")
    page.wait_for_selector("#queue-title")
    assert page.locator("#queue-title").inner_text() == "审核队列"
    assert "王审核" in page.locator("#user").inner_text()
    zh_help = page.locator("#help").inner_text()
    assert "领取下一个" in zh_help and "Esc" in zh_help
    zh_text = page.locator("body").inner_text()

    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("#queue-title").inner_text() == "Review queue"
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.get_by_role("button", name="Claim next").is_visible()
    en_help = page.locator("#help").inner_text()
    assert "claim next" in en_help and "approve" in en_help
    en_text = page.locator("body").inner_text()
    assert "审核队列" not in en_text and "领取下一个" not in en_text
    assert en_text != zh_text


def test_signing_out_forgets_the_token(console: Console) -> None:
    """GIVEN a signed-in reviewer WHEN they sign out THEN the sign-in page shows and no token is
    left in sessionStorage."""
    page = console.open()
    console.sign_in("rev-zhao")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("button.user-choice")
    assert page.evaluate("sessionStorage.getItem('cancelflow.session')") is None


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["laptop-1366", "tablet-768"])
def test_controls_are_labelled_and_the_page_fits_the_width(
    browser: Any, runtime: Any, viewport: dict[str, int]
) -> None:
    """GIVEN a laptop or a tablet window WHEN the sign-in page and the queue show THEN every
    control has a label, nothing scrolls sideways, and keyboard focus is visible."""
    c = Console(browser, runtime, viewport)
    try:
        page = c.open()
        assert page.evaluate(UNLABELLED_CONTROLS) == []
        assert overflow(page) <= 0
        c.sign_in("senior-chen")
        page.wait_for_selector("#queue-title")
        assert page.evaluate(UNLABELLED_CONTROLS) == []
        assert overflow(page) <= 0
        page.keyboard.press("Tab")  # the skip link first, then the navigation
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), outline
        c.shot(f"queue-{viewport['width']}")
    finally:
        c.close()
    assert not c.errors, c.errors


def nav_links(page: Any) -> list[str]:
    return [str(x) for x in page.locator("#nav a").all_inner_texts()]


def test_each_role_sees_its_own_views(browser: Any, runtime: Any) -> None:
    """GIVEN the four kinds of console users WHEN each signs in THEN a reviewer sees the queue
    only, a senior reviewer also the appeals, support lands on the overdue refunds and sees
    only them, the quarantined keys and the customer flags (the review queue and its tasks are
    for reviewers); a view of another role, the queue or a task for support, a customer's flag
    for a reviewer, says it is not theirs and asks the API for nothing."""
    expected = {
        "rev-wang": (["审核队列", "客户留言"], "#/queue"),
        "senior-chen": (["审核队列", "驳回申诉", "客户留言"], "#/queue"),
        "support-liu": (["超时退款", "客户留言", "隔离卡密", "顾客标记", "订单工具"], "#/refunds"),
    }
    for sub, (links, home) in expected.items():
        c = Console(browser, runtime)
        try:
            page = c.open()
            c.sign_in(sub)
            page.wait_for_url(f"**{home}")
            assert nav_links(page) == links, sub
            if sub == "support-liu":
                asked: list[str] = []
                page.on(
                    "request", lambda r, seen=asked: seen.append(r.url) if "/v1/reviews" in r.url else None
                )
                for view in ("#/queue", "#/task/tk_00112233445566778899"):
                    page.goto(c.url + view)
                    page.wait_for_selector("text=无权执行此操作")
                    assert page.locator("#queue-title, #claim-next, #decision").count() == 0, view
                    assert nav_links(page) == links, view
                page.keyboard.press("n")  # the claim-next shortcut does nothing for support
                page.wait_for_timeout(300)
                assert asked == [], asked
            if sub == "rev-wang":
                page.goto(c.url + "#/appeals")
                page.wait_for_selector("text=无权执行此操作")
                flags: list[str] = []
                page.on(
                    "request", lambda r, seen=flags: seen.append(r.url) if "/v1/customers" in r.url else None
                )
                page.goto(c.url + "#/customers/cust-1")
                page.wait_for_selector("text=无权执行此操作")
                assert flags == [], flags
        finally:
            c.close()
        assert not c.errors, c.errors
