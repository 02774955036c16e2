"""The SQS event source mapping of the local runtime behaves like Lambda's (in-process moto)."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import SQSEvent

from infra.topology import QueueConsumer
from local.pollers import QueuePoller, failed_ids
from tests.local.fakes import FakeFunctions


def _queue(sqs: Any, max_receive: int = 2) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName="t-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="t",
        Attributes={
            # 0: a failed message is visible again at once, so redrive needs no waiting
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)}
            ),
        },
    )["QueueUrl"]
    return url, dlq


def _count(sqs: Any, url: str) -> int:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"])


def _poller(sqs: Any, url: str, fn: Any) -> QueuePoller:
    p = QueuePoller(
        QueueConsumer("review", "consumer"), url, FakeFunctions(consumer=fn), threading.Event(), sqs
    )
    p.queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return p


def test_partial_batch_failure_deletes_only_successes_and_redrives_the_poison(aws: dict[str, str]) -> None:
    """GIVEN a consumer on Powertools' batch utility that fails one message of three
    WHEN the poller feeds it until the queue is empty
    THEN the good messages were handled once each and the poison one sits in the DLQ."""
    sqs = boto3.client("sqs", region_name="ap-east-1")
    url, dlq = _queue(sqs)
    for body in ("ok-1", "poison", "ok-2"):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "cancellation"}},
        )
    handled: list[str] = []

    def record_handler(record: Any) -> None:
        if record.body == "poison":
            raise ValueError("cannot process")
        handled.append(record.body)

    def handler(event: dict[str, Any], context: Any) -> Any:
        return process_partial_response(
            event=event,
            record_handler=record_handler,
            processor=BatchProcessor(EventType.SQS),
            context=context,
        )

    p = _poller(sqs, url, handler)
    for _ in range(5):
        p.poll_once(wait_seconds=0)
    assert sorted(handled) == ["ok-1", "ok-2"]
    assert _count(sqs, url) == 0
    assert _count(sqs, dlq) == 1
    assert p.stats.deleted == 2 and p.stats.failed == 2  # the poison was tried maxReceiveCount times


def test_a_raising_consumer_deletes_nothing(aws: dict[str, str]) -> None:
    """GIVEN a consumer that raises WHEN a batch is fed THEN every message stays for redelivery."""
    sqs = boto3.client("sqs", region_name="ap-east-1")
    url, _ = _queue(sqs, max_receive=5)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")

    def boom(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("crash")

    p = _poller(sqs, url, boom)
    assert p.poll_once(wait_seconds=0) == 2
    assert p.stats.errors == 1 and p.stats.deleted == 0
    assert _count(sqs, url) == 2


def test_records_are_shaped_like_lambdas_sqs_event(aws: dict[str, str]) -> None:
    """GIVEN a message with an attribute WHEN it is fed THEN Powertools' SQSEvent reads every field."""
    sqs = boto3.client("sqs", region_name="ap-east-1")
    url, _ = _queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"x": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "k"}},
    )
    seen: list[dict[str, Any]] = []
    p = _poller(sqs, url, lambda e, c: seen.append(e))
    p.poll_once(wait_seconds=0)
    rec = next(iter(SQSEvent(seen[0]).records))
    assert rec.json_body == {"x": 1}
    kind = rec.message_attributes["kind"]
    assert kind is not None and kind.string_value == "k"
    assert rec.attributes.approximate_receive_count == "1"
    assert rec.event_source == "aws:sqs" and rec.event_source_arn.endswith(":t")
    assert rec.aws_region == "ap-east-1" and rec.receipt_handle and rec.message_id


def test_a_malformed_failure_report_fails_the_whole_batch() -> None:
    """GIVEN a report naming an unknown id WHEN read THEN the whole batch counts as failed (as Lambda)."""
    batch = {"a", "b"}
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "a"}]}, batch) == {"a"}
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, batch) == batch
    assert failed_ids({"batchItemFailures": []}, batch) == set()
    assert failed_ids(None, batch) == set()
