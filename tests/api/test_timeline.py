"""What a customer's client shows of the review: the timeline's entries (event code, title in the
caller's language, typed fields) and the request summary of an order, through the handler."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import parse
from cancelflow.domain.products import ProductType
from cancelflow.review import claims
from cancelflow.review.decisions import Decision, decide
from cancelflow.review.tasks import Reviewer
from cancelflow.settings import get_settings
from cancelflow.store.history import HistoryEvent

from tests.api.conftest import FrozenClock, call, place_order
from tests.review.conftest import drain, intake

R1 = Reviewer("r1")
QUESTION = "请提供充值账号截图"
EN = {"accept-language": "en"}


def _paid_order(catalog: dict[str, str], channel: str) -> dict[str, Any]:
    """A one-key order for the owner, paid in full on ``channel``."""
    o = place_order(catalog)
    pay = {
        "order_id": o["order_id"],
        "payment_id": f"pay-{o['order_id']}",
        "amount": o["amount"],
        "channel": channel,
    }
    assert call("POST", "/v1/platform/payments", pay, who="platform").status == 200
    return o


def under_review(catalog: dict[str, str], frozen: FrozenClock) -> tuple[str, str]:
    """A paid order whose cancel request (outside the window) waits for review, its task made."""
    oid = _paid_order(catalog, "alipay")["order_id"]
    frozen.advance(minutes=30)
    r = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request", "reason_code": "wrong_info"})
    assert r.status == 201 and r.json["outcome"] == "under_review", r.raw
    frozen.advance(seconds=2)  # intake reads the queue a moment later
    intake(drain(get_settings().review_queue_url))
    return oid, r.json["request_id"]


def asked(catalog: dict[str, str], frozen: FrozenClock) -> tuple[str, str, str]:
    """An order whose request a reviewer asked a question about: (order, request, task)."""
    oid, rid = under_review(catalog, frozen)
    task = claims.claim_next(R1, frozen.advance(minutes=1))
    decide(task.task_id, R1, Decision(outcome="need_info", note=QUESTION), frozen.advance(minutes=2))
    return oid, rid, task.task_id


def _entries(oid: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    resp = call("GET", f"/v1/orders/{oid}/timeline", headers=headers)
    assert resp.status == 200, resp.raw
    entries: list[dict[str, Any]] = resp.json["entries"]
    return entries


def _one(entries: list[dict[str, Any]], event: str) -> dict[str, Any]:
    (found,) = [e for e in entries if e["event"] == event]
    return found


def _cst_is(shown: str, utc: str) -> None:
    """A *_cst value is ISO 8601 with +08:00 naming the same instant (to the second)."""
    t = datetime.fromisoformat(shown)
    assert shown.endswith("+08:00") and t == parse(utc).replace(microsecond=0), (shown, utc)


def test_a_reviewers_question_shows_with_its_deadline_and_a_localized_title(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a request a reviewer asked a question about WHEN its customer reads the timeline in
    English and in Chinese THEN the need_info entry carries the question and its answer deadline
    (UTC and CST with its offset) as fields, each entry a title in the asked language, and no raw
    detail dict (no task or reviewer ids); the order's request summary shows status need_info
    with the same question and deadline."""
    oid, rid, task_id = asked(catalog, frozen)
    en = _entries(oid, EN)
    assert [e["event"] for e in en] == [
        "order.created",
        "order.paid",
        "cancellation.requested",
        "review.task_created",
        "review.claimed",
        "review.need_info",
    ]
    q = _one(en, "review.need_info")
    assert (q["question"], q["request_id"], q["title"]) == (
        QUESTION,
        rid,
        "The reviewer needs more information from you",
    )
    _cst_is(q["answer_by_cst"], q["answer_by"])
    hours = get_settings().policies.for_type(ProductType.GAME_CARD).review_need_info_hours
    assert parse(q["answer_by"]) == frozen.now() + timedelta(hours=hours)  # asked now
    assert all("detail" not in e and task_id not in str(e) and "r1" not in str(e.values()) for e in en)
    created = _one(en, "review.task_created")
    _cst_is(created["decision_due_cst"], created["decision_due"])
    zh = _entries(oid)
    assert _one(zh, "review.need_info")["title"] == "审核员需要你补充信息"
    assert (
        _one(zh, "order.paid")["title"] == "已付款" and _one(en, "order.paid")["title"] == "Payment received"
    )

    (req,) = call("GET", f"/v1/orders/{oid}").json["cancellation"]["requests"]
    assert (req["status"], req["question"], req["answer_by"], req["answer_by_cst"]) == (
        "need_info",
        QUESTION,
        q["answer_by"],
        q["answer_by_cst"],
    )
    assert req["rejection_reason"] is None


def test_a_rejection_shows_its_reason_on_the_timeline_and_the_request(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a request rejected with a reason WHEN its customer reads the timeline and the order
    THEN the review.decided entry says rejected with the reason and a title saying so; the request
    summary is status rejected with that reason and no open question."""
    oid, _ = under_review(catalog, frozen)
    task = claims.claim_next(R1, frozen.advance(minutes=1))
    reason = "账号信息核对无误,不符合取消条件"
    decide(task.task_id, R1, Decision(outcome="reject", note=reason), frozen.advance(minutes=2))
    decided = _one(_entries(oid, EN), "review.decided")
    assert (decided["outcome"], decided["rejection_reason"], decided["title"]) == (
        "rejected",
        reason,
        "Request rejected",
    )
    assert decided["amount"] is None and decided["question"] is None
    (req,) = call("GET", f"/v1/orders/{oid}").json["cancellation"]["requests"]
    assert (req["status"], req["rejection_reason"], req["question"], req["answer_by"]) == (
        "rejected",
        reason,
        None,
        None,
    )


def test_a_refunded_cancellation_shows_the_refund_amount_and_channel(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a paid order cancelled inside the window WHEN the timeline is read THEN the
    cancellation entry carries the refund's id and amount; the payment entry its channel."""
    o = _paid_order(catalog, "wechat_pay")
    oid = o["order_id"]
    r = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"})
    entries = _entries(oid)
    cancelled = _one(entries, "order.cancelled")
    assert (cancelled["refund_id"], cancelled["amount"]) == (r.json["refund_id"], o["amount"])
    assert (cancelled["from_status"], cancelled["to_status"]) == ("paid", "cancelled")
    assert _one(entries, "order.paid")["channel"] == "wechat_pay"
    assert _one(entries, "order.created")["amount"] == o["amount"]


def test_the_openapi_document_names_every_event_code_and_request_status() -> None:
    """GIVEN the cancel API's OpenAPI document THEN a timeline entry's event is an enum of every
    history event, the request summary's status an enum, and every *_cst field says it is ISO 8601
    with its offset."""
    from functions.cancel.api import api

    schemas = api.openapi()["components"]["schemas"]
    assert schemas["TimelineEntry"]["properties"]["event"] == {"$ref": "#/components/schemas/HistoryEvent"}
    assert schemas["HistoryEvent"]["enum"] == [e.value for e in HistoryEvent]
    assert schemas["RequestStatus"]["enum"] == [
        "auto_approved",
        "under_review",
        "need_info",
        "approved",
        "rejected",
        "withdrawn",
    ]
    assert schemas["RequestSummary"]["properties"]["status"] == {"$ref": "#/components/schemas/RequestStatus"}
    for name in ("TimelineEntry", "RequestSummary"):
        for field, prop in schemas[name]["properties"].items():
            if field.endswith("_cst"):
                assert "+08:00" in prop["description"] and "ISO 8601" in prop["description"], (name, field)
