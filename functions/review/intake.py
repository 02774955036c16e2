"""The review queue's consumer: each SQS message becomes one review task.

Partial batch failures: a message that cannot be processed is reported back alone, so SQS
retries only it (and moves it to the dead-letter queue after ``maxReceiveCount``) while the
rest of the batch is deleted (``cancelflow.messages.consume``). Unknown ``schema_version`` or
an invalid body raise here.
"""

from __future__ import annotations

from typing import Any

from cancelflow import clock
from cancelflow.messages import ReviewMessage, consume
from cancelflow.review.intake import accept


def record_handler(body: str) -> bool:
    return accept(ReviewMessage.from_json(body), clock.now())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, record_handler)
