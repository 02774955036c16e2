"""Intake: every review message becomes exactly one task, whatever SQS does with it."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest
from cancelflow import aws
from cancelflow.domain.options import Action
from cancelflow.domain.reasons import Reason
from cancelflow.errors import DomainError
from cancelflow.review import claims, tasks
from cancelflow.review.tasks import Reviewer
from cancelflow.store import customers, history, keys, orders
from cancelflow.store.schema import QUEUES

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake, sqs_event, stored_task


def _all_tasks() -> list[tasks.Task]:
    items: list[tasks.Task] = []
    for status in (tasks.OPEN, tasks.WAITING, tasks.DECIDED):
        items += tasks.list_tasks(status, NOW, limit=100)[0]
    return items


def test_redelivered_and_reordered_messages_make_one_task_each(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN five requests under review
    WHEN every message is delivered twice, shuffled, in batches of three
    THEN there is exactly one task per request, and one task_created entry per order."""
    made = [make_request(at=NOW + timedelta(minutes=i)) for i in range(5)]
    bodies = drain(review_queue) * 2
    random.Random(7).shuffle(bodies)
    for i in range(0, len(bodies), 3):
        assert intake(bodies[i : i + 3]) == {"batchItemFailures": []}
    found = _all_tasks()
    assert sorted(t.request_id for t in found) == sorted(r for _, r in made)
    for order_id, _ in made:
        created = [h for h in history.timeline(order_id) if h.event == "review.task_created"]
        assert len(created) == 1


def test_poison_message_fails_alone(make_request: Maker, review_queue: str) -> None:
    """GIVEN a batch of two good messages, one of an unknown schema version and one not JSON
    WHEN intake handles it
    THEN exactly the two bad ones are reported as failures and both good tasks exist."""
    make_request()
    make_request(at=NOW + timedelta(minutes=1))
    good = drain(review_queue)
    future = json.dumps({**json.loads(good[0]), "schema_version": 2})
    event = sqs_event([good[0], future, "not json", good[1]])
    result = intake_event(event)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {event["Records"][1]["messageId"], event["Records"][2]["messageId"]}
    assert len(_all_tasks()) == 2


def intake_event(event: dict[str, Any]) -> dict[str, Any]:
    from functions.review.intake import handler

    return handler(event, None)


def test_poison_message_lands_in_dlq_after_max_receives(make_request: Maker, review_queue: str) -> None:
    """GIVEN the real (moto) review queue with its redrive policy, holding two good messages and
    a message naming an order that does not exist
    WHEN a poller does what Lambda's event source mapping does (receive, invoke, delete the
    successes) until the queue is empty
    THEN both tasks exist and the poison message is in the DLQ, received maxReceiveCount times."""
    sqs = aws.client("sqs")
    make_request()
    make_request(at=NOW + timedelta(minutes=1))
    bogus = json.loads(drain(review_queue)[0]) | {"order_id": "o_00000000000000000000"}
    # put the good ones back, plus the poison one
    sqs.send_message(QueueUrl=review_queue, MessageBody=json.dumps(bogus))
    for i in range(2):
        make_request(customer="c2", at=NOW + timedelta(minutes=2 + i))
    dlq = review_queue + "-dlq"
    receives = 0
    for _ in range(50):
        r = sqs.receive_message(
            QueueUrl=review_queue, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        )
        msgs = r.get("Messages", [])
        if not msgs:
            break
        event = sqs_event([m["Body"] for m in msgs])
        # a batch of only the poison message answers it as failed, like any other (no exception)
        failed = {f["itemIdentifier"] for f in intake_event(event)["batchItemFailures"]}
        for rec, m in zip(event["Records"], msgs, strict=True):
            if rec["messageId"] in failed:
                receives += 1
            else:
                sqs.delete_message(QueueUrl=review_queue, ReceiptHandle=m["ReceiptHandle"])
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["order_id"] for m in dead] == ["o_00000000000000000000"]
    assert receives == QUEUES["review"]["max_receive_count"]
    assert len([t for t in _all_tasks() if t.customer_id == "c2"]) == 2


def test_task_carries_priority_risk_and_sla(make_request: Maker, review_queue: str) -> None:
    """GIVEN a high-risk customer's stop-delivery request
    WHEN intake creates its task
    THEN it is urgent, marked for strict review (a senior's decision), with first-response and
    decision deadlines."""
    customers.set_flag("c9", True)
    _, rid = make_request(Action.STOP_DELIVERY, customer="c9")
    intake(drain(review_queue))
    t = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert t.priority_class == 0 and t.strict_review is True and t.risk.flagged is True
    assert t.only_seniors is True
    assert t.first_response_due == "2026-11-27T02:05:00.000Z"
    assert t.decision_due == "2026-11-27T03:00:00.000Z"
    item = stored_task(t.task_id)
    assert item["status_pk"] == "REVIEW#open" and item["status_sk"].startswith("0#")


def test_strict_review_is_decided_by_a_senior_only(make_request: Maker, review_queue: str) -> None:
    """GIVEN a flagged customer's request and an ordinary customer's WHEN intake creates their
    tasks THEN the strict one is senior-only (a plain reviewer may not decide it:
    ``claims.require_may_decide``) and the other is for any reviewer."""
    customers.set_flag("c9", True)
    _, strict = make_request(Action.STOP_DELIVERY, customer="c9")
    _, plain = make_request(Action.STOP_DELIVERY, customer="c2")
    intake(drain(review_queue))
    strict_task = tasks.get_task(tasks.task_id_for(strict, "cancellation"))
    plain_task = tasks.get_task(tasks.task_id_for(plain, "cancellation"))
    assert (strict_task.strict_review, strict_task.only_seniors) == (True, True)
    assert (plain_task.strict_review, plain_task.only_seniors) == (False, False)
    with pytest.raises(DomainError) as e:
        claims.require_may_decide(strict_task, Reviewer("r-plain"))
    assert e.value.details == {"task_id": strict_task.task_id, "needs": "senior_reviewer"}
    claims.require_may_decide(strict_task, Reviewer("r-senior", senior=True))  # allowed


def test_stop_delivery_that_completed_anyway_becomes_an_appeal(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a stop-delivery request whose delivery completed before intake saw the message
    WHEN intake creates the task
    THEN the task is an appeal (converted from stop_delivery), never a cancellation."""
    oid, rid = make_request(Action.STOP_DELIVERY, reason=Reason.WRONG_INFO)
    orders.complete_delivery(oid, NOW + timedelta(minutes=1))
    intake(drain(review_queue))
    t = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert (t.action, t.converted_from) == ("appeal", "stop_delivery")
    assert keys.task_pk(t.task_id) == stored_task(t.task_id)["pk"]
