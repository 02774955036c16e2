"""The refund queue's consumer: each message is one attempt at one refund
(``cancelflow.refunds.worker``). Partial batch failures: a message that fails (invalid body,
a DynamoDB error) is reported back alone and retried by SQS, then dead-lettered; provider
faults are not failures here, they are recorded on the refund and retried with backoff."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cancelflow import clock
from cancelflow.refunds.worker import handle_message

logger = Logger()
# Every record's failure is reported, even when all of them failed: raising instead would count
# as an error of the function and return nothing about which records to retry.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    attempt = handle_message(record.body, clock.now())
    logger.info("refund attempt", extra={"refund_id": attempt.refund_id, "result": attempt.result})
    return attempt.result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
