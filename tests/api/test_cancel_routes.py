"""The customer routes' behaviour through the handler: outcomes, queue messages, pages."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

from cancelflow import aws, clock
from cancelflow.settings import get_settings
from cancelflow.store import orders

from tests.api.conftest import FrozenClock, call, place_order
from tests.api.world import OWNER, PAID_FOR_DELIVERY, PENDING, build_world


def _messages(queue_url: str) -> list[dict[str, Any]]:
    r = aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in r.get("Messages", [])]


def _new_paid_order(catalog: dict[str, str], frozen: FrozenClock, payment_id: str = "2026-pay-77") -> str:
    o = call(
        "POST",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": catalog["game_card"]},
        who="platform",
    )
    assert o.status == 201, o.raw
    pay = {
        "order_id": o.json["order_id"],
        "payment_id": payment_id,
        "amount": o.json["amount"],
        "channel": "bank_card",
    }
    assert call("POST", "/v1/platform/payments", pay, who="platform").status == 200
    return str(o.json["order_id"])


def test_request_inside_window_cancels_and_starts_refund(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a paid order WHEN the owner requests a cancellation 3 minutes later THEN
    refund_started at once, the refund goes to the original channel, the refund queue has it."""
    oid = _new_paid_order(catalog, frozen)
    frozen.advance(minutes=3)
    options = call("GET", f"/v1/orders/{oid}/cancellation-options").json
    request = next(a for a in options["actions"] if a["action"] == "request")
    assert request["allowed"] and not request["needs_review"] and request["outcome"] == "refund_started"
    resp = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"})
    assert resp.status == 201 and resp.json["outcome"] == "refund_started", resp.raw
    detail = call("GET", f"/v1/orders/{oid}").json
    assert detail["cancellation"]["refunds"][0]["channel"] == "bank_card"  # how it was paid
    assert _messages(get_settings().refund_queue_url) == [
        {"schema_version": 1, "refund_id": resp.json["refund_id"]}
    ]


def test_request_inside_window_asking_for_balance_is_reviewed(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a paid order inside the auto-approval window WHEN the owner asks for the refund to
    go to their balance THEN under review (balance is a remedy a reviewer grants, never an
    instant one), the order held, nothing on the refund queue."""
    oid = _new_paid_order(catalog, frozen)
    frozen.advance(minutes=3)
    resp = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request", "refund_to": "balance"})
    assert resp.status == 201 and resp.json["outcome"] == "under_review", resp.raw
    detail = call("GET", f"/v1/orders/{oid}").json
    assert detail["order"]["held"] is True and detail["order"]["refunded_amount"] == 0
    assert _messages(get_settings().refund_queue_url) == []


def test_request_after_window_goes_to_review_queue(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a paid order WHEN the owner requests a cancellation after the window THEN under
    review, the order held, one review message in the documented format."""
    oid = _new_paid_order(catalog, frozen)
    frozen.advance(minutes=30)
    body = {
        "action": "request",
        "reason_code": "wrong_info",
        "description": "充值号码填错了,应为 138****0000",
    }
    resp = call("POST", f"/v1/orders/{oid}/cancellations", body, headers={"accept-language": "en"})
    assert resp.status == 201 and resp.json["outcome"] == "under_review", resp.raw
    assert resp.json["order"]["held"] is True
    (msg,) = _messages(get_settings().review_queue_url)
    assert msg["kind"] == "cancellation" and msg["request_id"] == resp.json["request_id"]
    assert msg["order_id"] == oid and msg["customer_id"] == OWNER and msg["reason_code"] == "wrong_info"
    assert msg["schema_version"] == 1 and msg["order_amount"] == msg["refundable"] == 10000
    # what the options say is what a POST accepts: now nothing more can be requested
    again = call(
        "POST", f"/v1/orders/{oid}/cancellations", {"action": "request"}, headers={"accept-language": "en"}
    )
    assert (again.status, again.code) == (409, "CANCELLATION_IN_PROGRESS")
    assert again.json["error"]["message"] == "A request for this order is already in progress"


def test_refused_action_answers_with_the_options_code(catalog: dict[str, str]) -> None:
    """GIVEN an order being delivered WHEN the owner tries to self-cancel THEN 409 with the same
    code cancellation-options shows for it."""
    build_world(catalog)
    orders.start_delivery(PAID_FOR_DELIVERY, orders.require_order(PAID_FOR_DELIVERY).created_at)
    options = call("GET", f"/v1/orders/{PAID_FOR_DELIVERY}/cancellation-options").json
    codes = {a["action"]: a["code"] for a in options["actions"]}
    for action in ("self_cancel", "request", "appeal", "after_sales"):
        resp = call("POST", f"/v1/orders/{PAID_FOR_DELIVERY}/cancellations", {"action": action})
        assert resp.status == 409 and resp.code == codes[action], (action, resp.raw)


def test_orders_page_and_forged_cursor(catalog: dict[str, str]) -> None:
    """GIVEN the owner's 4 orders WHEN listed 3 at a time THEN newest first over two pages; a
    cursor pointing at another customer's partition (or garbage) is a 422, not a 500."""
    build_world(catalog)
    first = call("GET", "/v1/orders", query={"limit": "3"}).json
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = call("GET", "/v1/orders", query={"limit": "3", "cursor": first["next_cursor"]}).json
    ids = [o["order_id"] for o in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 4 and PENDING in ids
    created = [o["created_at"] for o in first["items"] + second["items"]]
    assert created == sorted(created, reverse=True)
    cursor = first["next_cursor"]
    start = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    start["k"]["gsi_cust_pk"] = "CUSTOMER#someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(start).encode()).decode().rstrip("=")
    for cursor in (forged, "not-a-cursor", "e30="):
        resp = call("GET", "/v1/orders", query={"cursor": cursor})
        assert (resp.status, resp.code) == (422, "VALIDATION_FAILED") and resp.json["error"]["details"][
            "field"
        ] == "query.cursor"


def test_timeline_shows_every_step(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a paid order cancelled with a refund WHEN the timeline is read THEN created, paid,
    cancelled in order, and the refund with its SLA."""
    oid = _new_paid_order(catalog, frozen)
    call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"})
    tl = call("GET", f"/v1/orders/{oid}/timeline").json
    assert [e["event"] for e in tl["entries"]] == ["order.created", "order.paid", "order.cancelled"]
    assert tl["status"] == "cancelled" and tl["refunds"][0]["channel"] == "bank_card"
    assert tl["refunds"][0]["sla_due_at"].endswith("Z")


def test_stop_delivery_and_after_sales_go_to_review(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN an order being delivered and a completed one WHEN the owner asks to stop the
    delivery, and for a partial after-sales refund THEN both under review, in the queue with
    their action and amount."""
    delivering = _new_paid_order(catalog, frozen)
    orders.start_delivery(delivering, frozen.now())
    completed = call(
        "POST",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": catalog["game_card"]},
        who="platform",
    ).json["order_id"]
    pay = {"order_id": completed, "payment_id": "2026-pay-88", "amount": 10000, "channel": "alipay"}
    call("POST", "/v1/platform/payments", pay, who="platform")
    for step in ("start", "complete"):
        call("POST", f"/v1/platform/orders/{completed}/fulfilment", {"action": step}, who="platform")
    orders.complete_order(completed, frozen.advance(hours=80))
    stop = call(
        "POST",
        f"/v1/orders/{delivering}/cancellations",
        {"action": "stop_delivery", "reason_code": "wrong_info"},
    )
    after = call(
        "POST",
        f"/v1/orders/{completed}/cancellations",
        {"action": "after_sales", "reason_code": "invalid_key", "amount": 4000, "refund_to": "balance"},
    )
    assert (
        stop.status == after.status == 201 and stop.json["outcome"] == after.json["outcome"] == "under_review"
    )
    msgs = {m["order_id"]: m for m in _messages(get_settings().review_queue_url)}
    assert msgs[delivering]["action"] == "stop_delivery"
    assert (msgs[completed]["action"], msgs[completed]["requested_amount"], msgs[completed]["refund_to"]) == (
        "after_sales",
        4000,
        "balance",
    )


def test_appeal_against_rejection_once(catalog: dict[str, str]) -> None:
    """GIVEN a rejected request WHEN the owner appeals with refund to balance THEN under review
    again as a rejection appeal naming who rejected; a second appeal is refused."""
    from tests.api.world import DELIVERED, REJECTED_REQUEST

    build_world(catalog)
    path = f"/v1/orders/{DELIVERED}/cancellations/{REJECTED_REQUEST}/appeal"
    first = call("POST", path, {"text": "卡密确实无效,附充值失败截图", "refund_to": "balance"})
    assert first.status == 200 and first.json["status"] == "under_review", first.raw
    # no decisions lately: expected by the appeal's own SLA, counted from now
    review_by = datetime.fromisoformat(first.json["expected_review_by"].replace("Z", "+00:00"))
    assert review_by == clock.now() + timedelta(minutes=60)  # the review SLA (docs/domain.md, "Review")
    (msg,) = _messages(get_settings().review_queue_url)
    assert (msg["kind"], msg["rejected_by"], msg["refund_to"]) == (
        "rejection_appeal",
        "reviewer-9",
        "balance",
    )
    again = call("POST", path, {"text": "再次申诉"})
    assert (again.status, again.code) == (409, "APPEAL_NOT_ALLOWED")


def test_amount_of_another_type_is_refused_not_coerced(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a completed order open for after-sales WHEN the owner sends ``amount`` as a flag, a
    string of digits or a fraction THEN 422 VALIDATION_FAILED naming body.amount (not a 1-fen or
    4000-fen refund), no request is recorded and nothing is queued; a JSON integer goes through
    (4000.0 is one too, as JSON Schema counts it)."""
    completed = _new_paid_order(catalog, frozen)
    for step in ("start", "complete"):
        call("POST", f"/v1/platform/orders/{completed}/fulfilment", {"action": step}, who="platform")
    orders.complete_order(completed, frozen.advance(hours=80))
    path = f"/v1/orders/{completed}/cancellations"
    body = {"action": "after_sales", "reason_code": "invalid_key"}
    for wrong in (True, "4000", 4000.5):
        resp = call("POST", path, {**body, "amount": wrong})
        assert (resp.status, resp.code) == (422, "VALIDATION_FAILED"), (wrong, resp.raw)
        assert resp.json["error"]["details"]["field"] == "body.amount", resp.raw
    assert call("GET", f"/v1/orders/{completed}").json["cancellation"]["requests"] == []
    assert _messages(get_settings().review_queue_url) == []
    ok = call("POST", path, {**body, "amount": 4000})
    assert ok.status == 201 and ok.json["outcome"] == "under_review", ok.raw


def test_the_published_policies_keep_the_risk_rules_for_staff(catalog: dict[str, str]) -> None:
    """GIVEN the policy book WHEN a customer reads /v1/policies THEN every product type's policy
    is there but the risk thresholds are not (a customer who saw them could stay just under
    them); WHEN a reviewer or support reads it THEN the risk rules are there too."""
    mine = call("GET", "/v1/policies")
    assert mine.status == 200 and len(mine.json["policies"]) == 3
    assert mine.json["risk"] is None
    for staff in ("reviewer", "support"):
        theirs = call("GET", "/v1/policies", who=staff).json
        assert theirs["risk"]["window_days"] == get_settings().policies.risk.window_days, staff


def test_what_if_i_cancel_is_readable_without_signing_in(catalog: dict[str, str]) -> None:
    """GIVEN a published product WHEN anyone, signed in or not, asks what cancelling it means THEN
    its type's policy as prose in their language, with the version an order placed now records;
    an unknown product is 404 PRODUCT_NOT_FOUND."""
    path = f"/v1/products/{catalog['game_card']}/cancellation-policy"
    zh = call("GET", path, who="nobody")
    assert zh.status == 200, zh.raw
    assert zh.json["policy"]["lang"] == "zh-CN" and zh.json["price"] > 0
    assert [s["state"] for s in zh.json["policy"]["states"]][:2] == ["pending_payment", "paid"]
    en = call("GET", path, who="nobody", headers={"accept-language": "en"})
    assert en.status == 200 and en.json["policy"]["lang"] == "en" and en.json["name"] != zh.json["name"]
    assert "risk" not in json.dumps(en.json).lower()
    stored = orders.get_order(place_order(catalog)["order_id"])
    assert stored is not None and stored.policy_version == zh.json["policy_version"]
    missing = call("GET", "/v1/products/no-such-product/cancellation-policy", who="nobody")
    assert (missing.status, missing.code) == (404, "PRODUCT_NOT_FOUND")
