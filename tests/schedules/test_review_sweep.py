"""The review sweep: every request past its review SLA goes to the review step's escalation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel
from cancelflow.domain.reasons import Reason
from cancelflow.store import ddb, history, orders, payments
from cancelflow.store.requests import Request
from cancelflow.sweeps.reviews import escalate_due

from tests.conftest import NOW

WINDOW = timedelta(hours=1)  # the default decision SLA


def _under_review(catalog: dict[str, str], customer: str, at: datetime = NOW) -> tuple[str, str]:
    """A paid order with a cancellation request under review since ``at`` (outside the
    auto-approval window)."""
    o = orders.create_order(customer, catalog["game_card"], 1, at - timedelta(hours=1))
    payments.confirm_payment(
        o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, at - timedelta(minutes=59)
    )
    r = submit_cancellation.submit(
        customer, o.order_id, Submission(action=Action.REQUEST, reason_code=Reason.CHANGED_MIND), at
    )
    assert r.request_id is not None
    return o.order_id, r.request_id


def test_each_due_request_is_handed_to_escalation_once_per_run(catalog: dict[str, str]) -> None:
    """GIVEN three requests past their SLA and one not yet WHEN the sweep runs with an
    escalation that acts on two, declines one and breaks on none THEN the three due request
    items (and only they) reach it once each, and the tally says 2 escalated, 1 not."""
    due = [_under_review(catalog, f"c{i}") for i in range(3)]
    _under_review(catalog, "c9", at=NOW + WINDOW)
    seen: list[Request] = []

    def escalate(item: Request, now: datetime) -> bool:
        seen.append(item)
        return bool(item.request_id != due[0][1])

    tally = escalate_due(NOW + WINDOW + timedelta(minutes=1), escalate=escalate)

    assert sorted(i.request_id for i in seen) == sorted(r for _, r in due)
    assert all(isinstance(i, Request) and i.status == "under_review" for i in seen)
    assert (tally.done, tally.lost, tally.failed, tally.items_read) == (2, 1, 0, 3)


def test_a_failing_escalation_does_not_stop_the_others(catalog: dict[str, str]) -> None:
    """GIVEN two due requests and an escalation that raises for the first WHEN the sweep
    runs THEN the second is still escalated and the failure is counted."""
    (_, first), (_, second) = (_under_review(catalog, "c1"), _under_review(catalog, "c2"))

    def escalate(item: Request, now: datetime) -> bool:
        if item.request_id == first:
            raise RuntimeError("broken request")
        return True

    tally = escalate_due(NOW + WINDOW + timedelta(minutes=1), escalate=escalate)
    assert (tally.done, tally.failed, tally.ids) == (1, 1, [second])


def _intake(now: datetime) -> None:
    from cancelflow import aws
    from cancelflow.messages import ReviewMessage
    from cancelflow.review.intake import accept
    from cancelflow.settings import get_settings

    sqs, url = aws.client("sqs"), get_settings().review_queue_url
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            accept(ReviewMessage.from_json(m["Body"]), now)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_with_the_review_step_overdue_tasks_are_escalated_once(
    catalog: dict[str, str], aws: dict[str, str]
) -> None:
    """GIVEN a request whose review task exists and is past its SLA WHEN two sweeps run one
    after the other THEN the task is escalated (senior only, urgent) with one
    review.escalated entry (published as review.overdue), and the second run does nothing."""
    order_id, request_id = _under_review(catalog, "c1")
    _intake(NOW + timedelta(seconds=5))
    at = NOW + WINDOW + timedelta(minutes=1)

    first = escalate_due(at)
    second = escalate_due(at + timedelta(seconds=10))

    assert first.ids == [request_id] and second.done == 0
    entries = [e for e in history.timeline(order_id) if e.event == "review.escalated"]
    assert len(entries) == 1 and entries[0].reason == "review_overdue"
    task = ddb.get(f"TASK#{entries[0].detail['task_id']}", "TASK")
    assert task is not None and task["senior_only"] is True and task["escalated"] is True


def test_a_request_intake_never_saw_gets_its_message_again(
    catalog: dict[str, str], aws: dict[str, str]
) -> None:
    """GIVEN a request past its SLA whose review message was lost (no task) WHEN the sweep
    runs THEN the review message is sent again."""
    from cancelflow import aws as clients

    _, request_id = _under_review(catalog, "c1")
    url = aws["CANCELFLOW_REVIEW_QUEUE_URL"]
    clients.client("sqs").purge_queue(QueueUrl=url)

    tally = escalate_due(NOW + WINDOW + timedelta(minutes=1))

    msgs = clients.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert tally.ids == [request_id]
    assert [json.loads(m["Body"])["request_id"] for m in msgs] == [request_id]


def test_handler_emits_reviews_overdue(catalog: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a request overdue by the business clock WHEN the scheduled event arrives THEN the
    EMF metric reviews_overdue is 1."""
    from cancelflow import clock

    from functions.schedules import flag_reviews

    _under_review(catalog, "c1", at=clock.now() - WINDOW - timedelta(minutes=5))
    with open("events/schedule-flag-reviews.json") as f:
        result = flag_reviews.handler(json.load(f), None)
    assert result["done"] == 1
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert any(m.get("reviews_overdue") in (1.0, [1.0]) for m in emf)
