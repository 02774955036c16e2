"""Sending work to the next step. Called after the owning transaction commits; if a send is
lost the schedules find the item through the due index and send it again, and every
consumer is idempotent, so a duplicate is harmless and a loss is temporary."""

from __future__ import annotations

from cancelflow import aws
from cancelflow.messages import RefundMessage, ReviewMessage
from cancelflow.settings import get_settings


def send_review(msg: ReviewMessage) -> None:
    aws.client("sqs").send_message(
        QueueUrl=get_settings().review_queue_url,
        MessageBody=msg.to_json(),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": msg.kind}},
    )


def send_refund(refund_id: str | None, delay_seconds: int = 0) -> None:
    """``delay_seconds`` (at most 900, SQS's limit): the refund worker's own retry/poll timer."""
    if refund_id is None:
        return
    aws.client("sqs").send_message(
        QueueUrl=get_settings().refund_queue_url,
        MessageBody=RefundMessage(refund_id=refund_id).to_json(),
        DelaySeconds=max(0, min(900, delay_seconds)),
    )
