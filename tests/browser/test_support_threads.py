"""Support answers a customer's message from the console: the conversations awaiting an answer
with a countdown to each due time, one conversation with the reviewer's question among the
messages, the answer sent, and the customer sees it (and is told in their inbox)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Console
from tests.e2e.conftest import Api, cancel, customer, eventually, new_order, pay

pytestmark = pytest.mark.browser


def test_support_answers_a_waiting_customer_from_the_console(console: Console, api: Api) -> None:
    """GIVEN a request under review whose customer wrote a message WHEN support opens the
    console's customer messages THEN the conversation is listed with its answer countdown; WHEN
    support opens it and answers THEN the list no longer shows it, the customer's conversation
    has the answer and their inbox a message saying so."""
    cust = customer()
    order = new_order(api, cust, api.product(price=3600))
    pay(api, order, "alipay")
    api.advance(11 * 60)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    assert r.status_code == 201, r.text
    rid = r.json()["request_id"]
    path = f"/v1/orders/{order['order_id']}/threads/{rid}"
    api.ok("POST", f"{path}/messages", cust, {"text": "is anyone there?"}, status=201)

    page = console.open()
    console.sign_in("support-liu")
    page.locator("#nav a[href='#/threads']").click()
    row = page.locator(f"tr[data-subject-id='{rid}']")
    row.wait_for()
    assert "剩余" in row.inner_text()  # the answer countdown
    console.shot("threads")
    row.locator("a").click()
    page.wait_for_selector("#thread-messages li[data-author=customer]")
    assert "is anyone there?" in page.locator("#thread-messages").inner_text()
    page.fill("#thread-reply", "a reviewer has it, about 20 minutes")
    page.locator("#thread-send").click()
    console.wait_status("客户会收到站内信")
    page.wait_for_selector("#thread-messages li[data-author=staff]")
    console.shot("thread")

    seen = api.ok("GET", path, cust)
    assert [m["author"] for m in seen["messages"]] == ["customer", "staff"]
    assert seen["awaiting_answer"] is False and seen["customer_read_at"]
    told: Any = eventually(
        lambda: [n for n in api.ok("GET", "/v1/inbox", cust)["items"] if n["kind"] == "support_replied"],
        timeout=60,
    )
    assert "20 minutes" in told[0]["body"]
    assert rid not in [
        x["subject_id"] for x in api.ok("GET", "/v1/support/threads", ("support-liu", "support"))["items"]
    ]
