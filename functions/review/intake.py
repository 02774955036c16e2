"""The review queue's consumer: each SQS message becomes one review task.

Partial batch failures: a message that cannot be processed is reported back alone, so SQS
retries only it (and moves it to the dead-letter queue after ``maxReceiveCount``) while the
rest of the batch is deleted. Unknown ``schema_version`` or an invalid body raise here.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cancelflow import clock
from cancelflow.messages import ReviewMessage
from cancelflow.review.intake import accept

# Every record's failure is reported, even when all of them failed: raising instead would count
# as an error of the function and return nothing about which records to retry.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> bool:
    return accept(ReviewMessage.from_json(record.body), clock.now())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
