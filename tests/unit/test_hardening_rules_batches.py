"""Hardening (issue 13, item 14): a queue batch whose records all fail is answered with every
record in ``batchItemFailures``, not with an exception (which Lambda counts as an error of the
function, and which would hide which records failed)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest


def _batch(n: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"rh-{i}",
                "body": "not json",  # fails before any AWS call
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764208800000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:cancelflow-queue",
                "awsRegion": "ap-east-1",
            }
            for i in range(n)
        ]
    }


def _review_intake() -> Callable[[dict[str, Any], Any], Any]:
    from functions.review.intake import handler

    return handler


def _refund_worker() -> Callable[[dict[str, Any], Any], Any]:
    from functions.refund.worker import handler

    return handler


@pytest.mark.parametrize("consumer", [_review_intake, _refund_worker], ids=["review_intake", "refund_worker"])
@pytest.mark.parametrize("size", [1, 3])
def test_batch_whose_records_all_fail_returns_every_failure(
    consumer: Callable[[], Callable[[dict[str, Any], Any], Any]], size: int
) -> None:
    """GIVEN a batch of only failing records (bodies that are not messages)
    WHEN the queue consumer handles it
    THEN it does not raise and answers every message id in batchItemFailures."""
    event = _batch(size)
    result = consumer()(event, None)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        r["messageId"] for r in event["Records"]
    )
