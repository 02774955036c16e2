"""Review-step fixtures: orders with requests under review, the review queue as SQS events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel
from cancelflow.domain.reasons import Reason
from cancelflow.store import orders, payments

from tests.conftest import NOW


@pytest.fixture
def review_queue(aws: dict[str, str]) -> Iterator[str]:
    yield aws["CANCELFLOW_REVIEW_QUEUE_URL"]


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    """An SQS batch as Lambda delivers it."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764208800000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:cancelflow-review",
                "awsRegion": "ap-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def drain(queue_url: str) -> list[str]:
    """Every message body on the queue (deleted as read)."""
    from cancelflow import aws

    sqs = aws.client("sqs")
    out: list[str] = []
    while True:
        r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        msgs = r.get("Messages", [])
        if not msgs:
            return out
        for m in msgs:
            out.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def intake(bodies: list[str]) -> dict[str, Any]:
    from functions.review.intake import handler

    return handler(sqs_event(bodies), None)


Maker = Callable[..., tuple[str, str]]


@pytest.fixture
def make_request(catalog: dict[str, str]) -> Maker:
    """An order in the state the action needs, with a request under review (its message on
    the review queue). Returns (order id, request id)."""

    def make(
        action: Action = Action.REQUEST,
        *,
        customer: str = "c1",
        reason: Reason = Reason.CHANGED_MIND,
        quantity: int = 1,
        at: datetime = NOW,
        amount: int | None = None,
        product: str = "game_card",
        evidence: tuple[str, ...] = (),
    ) -> tuple[str, str]:
        t0 = at - timedelta(hours=1)
        o = orders.create_order(customer, catalog[product], quantity, t0)
        payments.confirm_payment(
            o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, t0 + timedelta(minutes=1)
        )
        if action is not Action.REQUEST:
            orders.start_delivery(o.order_id, t0 + timedelta(minutes=2))
        if action in (Action.APPEAL, Action.AFTER_SALES):
            orders.complete_delivery(o.order_id, t0 + timedelta(minutes=3))
            evidence = evidence or (f"evidence/{customer}/{o.order_id}/shot.png",)
        if action is Action.AFTER_SALES:
            orders.complete_order(o.order_id, t0 + timedelta(minutes=4))
        sub = Submission(
            action=action,
            reason_code=reason,
            description="充值号码填错了,请帮我取消这个订单" if reason is Reason.OTHER else None,
            evidence=evidence,
            amount=amount,
        )
        r = submit_cancellation.submit(customer, o.order_id, sub, at)
        return o.order_id, r.request_id

    return make


def stored_task(task_id: str) -> dict[str, Any]:
    """The task's item exactly as stored, index attributes included (what the store writes)."""
    from cancelflow.store import ddb, keys

    item = ddb.get(keys.task_pk(task_id), "TASK")
    assert item is not None, task_id
    return item
