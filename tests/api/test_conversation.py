"""A request's conversation (工单) through the handlers: messages both ways with read receipts,
the reviewer's question and the customer's answer in it, support's answer window (5 minutes
for an urgent request) escalated when missed, support's queue, the dispute record, and
another customer's conversation never readable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cancelflow.clock import parse
from cancelflow.review import claims
from cancelflow.review.decisions import Decision, decide
from cancelflow.settings import get_settings
from cancelflow.store.history import timeline
from cancelflow.sweeps.threads import escalate_overdue

from tests.api.conftest import FrozenClock, call, place_order
from tests.api.test_evidence import uploaded_png
from tests.api.test_timeline import R1, asked, under_review


def _thread(oid: str, rid: str, who: str = "owner") -> dict[str, Any]:
    r = call("GET", f"/v1/orders/{oid}/threads/{rid}", who=who)
    assert r.status == 200, r.raw
    return dict(r.json)


def _say(oid: str, rid: str, text: str, who: str = "owner", status: int = 201) -> dict[str, Any]:
    r = call("POST", f"/v1/orders/{oid}/threads/{rid}/messages", {"text": text}, who=who)
    assert r.status == status, r.raw
    return dict(r.json)


def test_messages_both_ways_with_read_receipts(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request under review WHEN its customer writes THEN support owes an answer within
    the window (60 minutes: not urgent); support sees who wrote, answers, and the window closes;
    each side's read receipt is what it last read, and the customer's view never names staff."""
    oid, rid = under_review(catalog, frozen)
    empty = _thread(oid, rid)
    assert empty["messages"] == [] and empty["awaiting_answer"] is False
    asked_at = frozen.advance(minutes=1)
    t = _say(oid, rid, "has anyone looked at it?")
    book = get_settings().policies
    assert t["awaiting_answer"] is True and t["priority"] is False
    assert parse(t["answer_due"]) == asked_at + timedelta(minutes=book.support_answer_minutes)
    staff_view = _thread(oid, rid, who="support")
    [m] = staff_view["messages"]
    assert (m["author"], m["role"], m["author_id"]) == ("customer", "customer", m["author_id"])
    frozen.advance(minutes=book.support_answer_minutes - 1)
    answered = _say(oid, rid, "yes, a reviewer has it", who="support")
    assert answered["awaiting_answer"] is False and answered["answer_due"] is None
    assert answered["first_response_at"] and answered["staff_read_at"]
    mine = _thread(oid, rid)
    assert [x["author"] for x in mine["messages"]] == ["customer", "staff"]
    assert all(x["author_id"] is None for x in mine["messages"])  # the customer sees roles only
    before = mine["customer_read_at"]
    frozen.advance(minutes=1)
    read = call("POST", f"/v1/orders/{oid}/threads/{rid}/read", who="owner").json
    assert read["customer_read_at"] > before
    # support's answer reached the customer's timeline (and so their inbox, by the stream)
    assert "support.replied" in [e.event.value for e in timeline(oid)]


def test_the_reviewers_question_and_the_customers_answer_are_in_the_conversation(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a reviewer's need_info question WHEN the customer answers it THEN the conversation
    shows the question (staff) and the answer (customer) in time order."""
    oid, rid, _ = asked(catalog, frozen)
    frozen.advance(minutes=1)
    r = call("POST", f"/v1/orders/{oid}/cancellations/{rid}/answer", {"text": "here is the account"})
    assert r.status == 200, r.raw
    shown = _thread(oid, rid)["messages"]
    assert [(m["source"], m["author"]) for m in shown] == [("question", "staff"), ("answer", "customer")]
    assert shown[1]["text"] == "here is the account"


def test_a_missed_answer_on_an_urgent_request_escalates(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a stop-delivery (urgent) whose customer writes WHEN support has not answered within
    5 minutes THEN the sweep escalates it once (an entry for the operations topic), moves the
    due time one window on, support's queue shows it overdue first; another run in the same
    window does nothing; support's answer ends it."""
    o = place_order(catalog)
    oid = o["order_id"]
    pay_body = {"order_id": oid, "payment_id": f"pay-{oid}", "amount": o["amount"], "channel": "alipay"}
    assert call("POST", "/v1/platform/payments", pay_body, who="platform").status == 200
    fulfil = call("POST", f"/v1/platform/orders/{oid}/fulfilment", {"action": "start"}, who="platform")
    assert fulfil.status == 200, fulfil.raw
    r = call(
        "POST", f"/v1/orders/{oid}/cancellations", {"action": "stop_delivery", "reason_code": "wrong_info"}
    )
    assert r.status == 201, r.raw
    rid = r.json["request_id"]
    t = _say(oid, rid, "please stop it, wrong account")
    assert t["priority"] is True
    book = get_settings().policies
    assert book.support_priority_answer_minutes == 5
    frozen.advance(minutes=4)
    assert escalate_overdue(frozen.now()).done == 0  # not yet
    frozen.advance(minutes=2)
    assert escalate_overdue(frozen.now()).done == 1
    assert escalate_overdue(frozen.now()).done == 0  # once per window
    overdue = [e for e in timeline(oid) if e.event.value == "support.answer_overdue"]
    assert len(overdue) == 1 and overdue[0].detail["escalations"] == 1
    queue = call("GET", "/v1/support/threads", who="support").json["items"]
    mine = [q for q in queue if q["subject_id"] == rid]
    assert mine and mine[0]["escalations"] == 1 and mine[0]["priority"] is True
    assert _thread(oid, rid)["escalated"] is True
    _say(oid, rid, "stopped, the refund follows", who="support")
    assert rid not in [
        q["subject_id"] for q in call("GET", "/v1/support/threads", who="support").json["items"]
    ]
    frozen.advance(minutes=30)
    assert escalate_overdue(frozen.now()).done == 0


def test_another_customers_conversation_is_never_readable(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN the owner's conversation WHEN another customer reads, writes or marks it read THEN
    404 ORDER_NOT_FOUND and nothing changes; a request of another order is not found either;
    support's queue is not for customers."""
    oid, rid = under_review(catalog, frozen)
    _say(oid, rid, "mine")
    for method, path, body in (
        ("GET", f"/v1/orders/{oid}/threads/{rid}", None),
        ("POST", f"/v1/orders/{oid}/threads/{rid}/messages", {"text": "not yours"}),
        ("POST", f"/v1/orders/{oid}/threads/{rid}/read", None),
    ):
        r = call(method, path, body, who="other")
        assert (r.status, r.code) == (404, "ORDER_NOT_FOUND"), r.raw
    assert [m["text"] for m in _thread(oid, rid)["messages"]] == ["mine"]
    other_order = place_order(catalog)["order_id"]
    r = call("GET", f"/v1/orders/{other_order}/threads/{rid}")
    assert (r.status, r.code) == (404, "REQUEST_NOT_FOUND"), r.raw
    assert call("GET", "/v1/support/threads", who="owner").status == 403


def test_staff_send_text_only(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """Images in a conversation are the customer's uploads; staff writing one is refused."""
    oid, rid = under_review(catalog, frozen)
    r = call(
        "POST",
        f"/v1/orders/{oid}/threads/{rid}/messages",
        {"text": "see", "evidence": [f"evidence/x/{oid}/a.png"]},
        who="support",
    )
    assert (r.status, r.code) == (422, "VALIDATION_FAILED"), r.raw


def test_a_reviewer_may_answer_too(catalog: dict[str, str], frozen: FrozenClock) -> None:
    oid, rid = under_review(catalog, frozen)
    task = claims.claim_next(R1, frozen.advance(minutes=1))
    _say(oid, rid, "why so slow?")
    frozen.advance(seconds=30)
    answered = _say(oid, rid, "looking now", who="reviewer")
    assert answered["awaiting_answer"] is False
    assert answered["messages"][-1]["role"] == "reviewer"
    decide(task.task_id, R1, Decision(outcome="reject", note="no"), frozen.advance(minutes=1))
    assert _thread(oid, rid)["messages"][-1]["text"] == "looking now"


def test_the_conversation_is_part_of_the_dispute_record(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request's conversation WHEN the customer has the dispute record issued THEN it
    carries the conversation's messages as the customer sees them, and verifies."""
    oid, rid = under_review(catalog, frozen)
    _say(oid, rid, "my account was wrong")
    frozen.advance(minutes=2)
    _say(oid, rid, "noted, the reviewer sees it", who="support")
    issued = call("POST", f"/v1/orders/{oid}/dispute-records")
    assert issued.status == 201, issued.raw
    record = issued.json["record"]
    [conv] = record["conversations"]
    assert conv["subject_id"] == rid
    assert [m["text"] for m in conv["messages"]] == ["my account was wrong", "noted, the reviewer sees it"]
    verified = call("POST", "/v1/dispute-records/verify", {"record": record}, who="support")
    assert verified.status == 200 and verified.json["issued"] is True, verified.raw


def test_a_customer_message_carries_their_uploaded_image(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a screenshot uploaded for the order (the evidence path) WHEN the customer writes
    with it THEN the message carries its key; a key that is not this order's upload is refused
    with EVIDENCE_INVALID and nothing is written."""
    oid, rid = under_review(catalog, frozen)
    up = uploaded_png(oid)
    body = {"text": "the screenshot", "evidence": [up["key"]]}
    r = call("POST", f"/v1/orders/{oid}/threads/{rid}/messages", body)
    assert r.status == 201, r.raw
    assert r.json["messages"][-1]["evidence"] == [up["key"]]
    forged = {"text": "another's", "evidence": [up["key"].replace(oid, "o_" + "9" * 20)]}
    bad = call("POST", f"/v1/orders/{oid}/threads/{rid}/messages", forged)
    assert (bad.status, bad.code) == (422, "EVIDENCE_INVALID"), bad.raw
    assert [m["text"] for m in _thread(oid, rid)["messages"]] == ["the screenshot"]


def test_a_refund_has_its_own_conversation(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN an auto-approved cancellation and its refund WHEN the customer writes about the
    refund THEN the refund's conversation holds it, apart from any request's, and support owes
    an answer; a refund of another order is not found through this order."""
    o = place_order(catalog)
    oid = o["order_id"]
    pay_body = {"order_id": oid, "payment_id": f"pay-{oid}", "amount": o["amount"], "channel": "alipay"}
    assert call("POST", "/v1/platform/payments", pay_body, who="platform").status == 200
    r = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"})
    assert r.status == 201 and r.json["refund_id"], r.raw
    refund_id, rid = r.json["refund_id"], r.json["request_id"]
    t = _say(oid, refund_id, "when does the money arrive?")
    assert (t["subject_id"], t["awaiting_answer"]) == (refund_id, True)
    assert _thread(oid, rid)["messages"] == []  # the request's conversation is another one
    other = place_order(catalog)["order_id"]
    miss = call("GET", f"/v1/orders/{other}/threads/{refund_id}")
    assert (miss.status, miss.code) == (404, "REFUND_NOT_FOUND"), miss.raw
