"""A work queue and its dead-letter queue from cancelflow.store.schema.QUEUES, and the consumer's
event source mapping with the settings from the same place."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cancelflow.store.schema import QUEUES
from constructs import Construct

DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to inspect and redrive


class WorkQueue(Construct):
    def __init__(self, scope: Construct, cid: str, *, name: str) -> None:
        super().__init__(scope, cid)
        self.name = name
        self.conf = QUEUES[name]
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(self.conf["visibility_timeout"]),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=self.conf["max_receive_count"]
            ),
        )

    def attach(self, consumer: lambda_.Function) -> None:
        """Batches with partial failures (one bad message never fails its neighbours) and a
        ceiling on concurrent consumers, so a burst cannot drain the account's concurrency."""
        consumer.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=self.conf["batch_size"],
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
                max_concurrency=self.conf["max_concurrency"],
            )
        )
