"""Answering a reviewer's question has its own route, POST .../cancellations/{request_id}/answer;
the appeal route only appeals a rejection."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cancelflow import aws
from cancelflow.clock import parse
from cancelflow.domain.calendar import cst_display
from cancelflow.settings import get_settings
from cancelflow.store import requests, tasks

from tests.api.conftest import FrozenClock, call, table_snapshot
from tests.api.test_timeline import asked, under_review
from tests.api.world import DELIVERED, REJECTED_REQUEST, build_world


def _answer(oid: str, rid: str, body: dict[str, Any]) -> Any:
    return call("POST", f"/v1/orders/{oid}/cancellations/{rid}/answer", body)


def test_answering_a_reviewers_question_has_its_own_route(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a request a reviewer asked a question about WHEN its customer answers it on the
    answer route 3 hours later THEN 200, kind info_supplied (an enum), the task back in the open
    pool due the time that was left when asked after the answer (also shown in CST), the request
    under review with the answer and its one appeal unused, and the timeline says so."""
    oid, rid, task_id = asked(catalog, frozen)
    shown = call("GET", f"/v1/orders/{oid}/timeline").json["entries"]
    due = parse(next(e for e in shown if e["event"] == "review.task_created")["decision_due"])
    left = due - parse(shown[-1]["at"])  # the question was the last step
    later = frozen.advance(hours=3)
    resp = _answer(oid, rid, {"text": "账号是 12345678,我误填成了 12345687"})
    assert resp.status == 200, resp.raw
    out = resp.json
    assert (out["kind"], out["status"], out["task_id"], out["request_id"]) == (
        "info_supplied",
        "under_review",
        task_id,
        rid,
    )
    task = tasks.get(task_id)
    assert task.status == tasks.OPEN and task.decision_due == out["decision_due"]
    assert parse(out["decision_due"]) == later + left and timedelta(0) < left < timedelta(hours=1)
    assert out["decision_due_cst"] == cst_display(later + left)
    req = requests.get_request(oid, rid)
    assert (req.status, req.appeal_used) == ("under_review", False)
    assert [a.text for a in req.answers or ()] == ["账号是 12345678,我误填成了 12345687"]
    tl = call("GET", f"/v1/orders/{oid}/timeline").json["entries"]
    assert tl[-1]["event"] == "review.info_supplied" and tl[-1]["decision_due"] == out["decision_due"]


def test_the_appeal_route_refuses_to_answer_a_question(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request a reviewer asked a question about WHEN its customer posts to the appeal
    route THEN 409 INFO_REQUESTED naming the request and its status, and nothing is stored or
    queued: the task still waits, the appeal is unused."""
    oid, rid, _ = asked(catalog, frozen)
    before = table_snapshot()
    resp = call("POST", f"/v1/orders/{oid}/cancellations/{rid}/appeal", {"text": "这是我的补充说明"})
    assert (resp.status, resp.code) == (409, "INFO_REQUESTED"), resp.raw
    assert resp.json["error"]["details"] == {"request_id": rid, "status": "need_info"}
    assert table_snapshot() == before
    got = aws.client("sqs").receive_message(QueueUrl=get_settings().review_queue_url)
    assert got.get("Messages", []) == []


def test_an_answer_without_an_open_question_is_refused(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request under review with no question, and a rejected one WHEN their customer posts
    an answer THEN 409 NO_OPEN_QUESTION with the request's status, nothing stored; an answer to
    another customer's order is not found; a second answer to the same question is refused."""
    oid2, rid2, _ = asked(catalog, frozen)  # first: the reviewer claims the only task there is
    oid, rid = under_review(catalog, frozen)
    build_world(catalog)
    before = table_snapshot()
    resp = _answer(oid, rid, {"text": "补充说明"})
    assert (resp.status, resp.code) == (409, "NO_OPEN_QUESTION"), resp.raw
    assert resp.json["error"]["details"] == {"request_id": rid, "status": "under_review"}
    rejected = _answer(DELIVERED, REJECTED_REQUEST, {"text": "补充说明"})
    assert (rejected.status, rejected.code) == (409, "NO_OPEN_QUESTION"), rejected.raw
    assert rejected.json["error"]["details"]["status"] == "rejected"
    assert table_snapshot() == before

    other = call("POST", f"/v1/orders/{oid2}/cancellations/{rid2}/answer", {"text": "x"}, who="other")
    assert (other.status, other.code) == (404, "ORDER_NOT_FOUND")
    assert _answer(oid2, rid2, {"text": "第一次回答"}).status == 200
    again = _answer(oid2, rid2, {"text": "第二次回答"})
    assert (again.status, again.code) == (409, "NO_OPEN_QUESTION")


def test_an_answer_body_is_text_and_evidence_only(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a question waiting for an answer WHEN the body is blank text, has a refund_to (the
    appeal's field), or text with a NUL THEN 422 naming the field and the question still waits."""
    oid, rid, task_id = asked(catalog, frozen)
    for body, field in (
        ({"text": ""}, "body.text"),
        ({"text": "   "}, "text"),
        ({"text": "ok", "refund_to": "balance"}, "body.refund_to"),
        ({"text": "a\u0000b"}, "body.text"),
    ):
        resp = _answer(oid, rid, body)
        assert (resp.status, resp.code) == (422, "VALIDATION_FAILED"), (body, resp.raw)
        assert resp.json["error"]["details"]["field"] == field, resp.raw
    assert tasks.get(task_id).status == tasks.WAITING
