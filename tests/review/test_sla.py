"""SLA escalation as the review sweep calls it: overdue tasks escalated once, lost messages re-sent."""

from __future__ import annotations

import json
from datetime import timedelta

from cancelflow.clock import iso
from cancelflow.review import claims, tasks
from cancelflow.review.decisions import Decision, decide
from cancelflow.review.sla import escalate_overdue
from cancelflow.review.tasks import Reviewer
from cancelflow.store import history, requests

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake

LATE = NOW + timedelta(minutes=61)  # requests made at NOW are due at 03:00


def _due_at(order_id: str, request_id: str) -> str | None:
    due = requests.get_request(order_id, request_id).due_at
    return None if due is None else iso(due)


def test_overdue_task_is_escalated_once(make_request: Maker, review_queue: str) -> None:
    """GIVEN an open task past its decision SLA
    WHEN the sweep calls escalate_overdue twice (and once more with the stale item it read)
    THEN only the first call acts: the task is urgent and senior-only, one review.escalated entry,
    and the request's due time moved on so the next sweep does not read it again at once."""
    oid, rid = make_request()
    intake(drain(review_queue))
    item = requests.get_request(oid, rid)
    assert escalate_overdue(item, NOW + timedelta(minutes=30)) is False  # not due yet
    assert escalate_overdue(item, LATE) is True
    assert escalate_overdue(requests.get_request(oid, rid), LATE) is False
    assert escalate_overdue(item, LATE) is False  # a racing sweep with the old item
    task = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert (task.escalated, task.senior_only, task.priority_class) == (True, True, 0)
    assert _due_at(oid, rid) == "2026-11-27T04:01:00.000Z"
    assert [h.event for h in history.timeline(oid)].count("review.escalated") == 1
    # escalated: an ordinary reviewer no longer gets it, a senior does
    assert claims.claim_next(Reviewer("s1", senior=True), LATE).task_id == task.task_id


def test_lost_message_is_sent_again(make_request: Maker, review_queue: str) -> None:
    """GIVEN a request whose review message never reached intake
    WHEN it falls due THEN the message is sent again, and intake makes its task."""
    oid, rid = make_request()
    drain(review_queue)  # lost
    assert escalate_overdue(requests.get_request(oid, rid), LATE) is True
    bodies = drain(review_queue)
    assert [json.loads(b)["request_id"] for b in bodies] == [rid]
    intake(bodies)
    assert tasks.get_task(tasks.task_id_for(rid, "cancellation")).status == tasks.OPEN


def test_unanswered_question_returns_task_to_a_senior(make_request: Maker, review_queue: str) -> None:
    """GIVEN a task waiting for the customer's answer
    WHEN the time to answer (72 h) passes
    THEN the task is open again, escalated, and the request is back under review."""
    oid, rid = make_request()
    intake(drain(review_queue))
    t = claims.claim_next(Reviewer("r1"), NOW)
    decide(t.task_id, Reviewer("r1"), Decision(outcome="need_info", note="请补充截图"), NOW)
    waited = NOW + timedelta(hours=72, minutes=1)
    assert escalate_overdue(tasks.get_task(t.task_id), waited) is True
    task = tasks.get_task(t.task_id)
    assert (task.status, task.escalated) == (tasks.OPEN, True)
    assert requests.get_request(oid, rid).status == "under_review"
