"""Schedules and domain events: the sweeps on EventBridge rate rules (topology.SCHEDULES, rates
overridable per environment), the custom bus with an archive for replay, and the outbox publisher
fed by the table's change stream (history entries only) with an on-failure DLQ."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from cancelflow.events.catalogue import CATALOGUE
from constructs import Construct

from infra import topology
from infra.config import EnvConfig
from infra.queues import DLQ_RETENTION

EVENT_SOURCE = "cancelflow"
# Domain events that need a person (the catalogue's to_ops, the "to ops" column of docs/events.md): every
# transition into a stuck state, routed to the operations topic.
OPS_DETAIL_TYPES = [t.name for t in CATALOGUE if t.to_ops]


class SchedulesEvents(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.cfg = cfg
        self.bus = events.EventBus(self, "Bus", description="cancelflow domain events")
        self.bus.archive(
            "Archive",
            description="cancelflow domain events, kept for replay",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE]),
            retention=Duration.days(cfg.event_archive_days),
        )
        # Schedule invocations EventBridge could not deliver, and stream batches the publisher
        # gave up on (the message points at the shard records to re-read).
        self.schedule_dlq = _dlq(self, "ScheduleDlq")
        self.publisher_dlq = _dlq(self, "PublisherDlq")
        self.rules: dict[str, events.Rule] = {}

    def schedule(self, functions: dict[str, lambda_.Function]) -> None:
        for sched in topology.SCHEDULES:
            minutes = self.cfg.rate_minutes(sched)
            self.rules[sched.function] = events.Rule(
                self,
                f"{sched.function}Schedule",
                description=f"cancelflow {sched.function} every {minutes} min",
                schedule=events.Schedule.rate(Duration.minutes(minutes)),
                targets=[
                    targets.LambdaFunction(
                        functions[sched.function],
                        dead_letter_queue=self.schedule_dlq,
                        retry_attempts=2,
                        # A late run is worthless: the next tick does the same work.
                        max_event_age=Duration.minutes(minutes) if minutes > 1 else Duration.seconds(60),
                    )
                ],
            )

    def publish_from(self, table: dynamodb.TableV2, publisher: lambda_.Function) -> None:
        publisher.add_event_source(
            sources.DynamoEventSource(
                table,
                # TRIM_HORIZON: a publisher deployed after writes started still sends them.
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                max_batching_window=Duration.seconds(1),
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=10,
                max_record_age=Duration.hours(24),
                on_failure=sources.SqsDlq(self.publisher_dlq),
                # Only new history entries are outbox records (cancelflow.store.history).
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("INSERT"),
                            "dynamodb": {"NewImage": {"type": {"S": lambda_.FilterRule.is_equal("history")}}},
                        }
                    )
                ],
            )
        )

    def route_to_ops(self, topic: sns.ITopic) -> None:
        events.Rule(
            self,
            "NeedsAPersonToOps",
            event_bus=self.bus,
            description="stuck refunds and overdue reviews reach the operations topic",
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=OPS_DETAIL_TYPES),
            targets=[targets.SnsTopic(topic, dead_letter_queue=self.schedule_dlq, retry_attempts=4)],
        )


def _dlq(scope: Construct, cid: str) -> sqs.Queue:
    return sqs.Queue(
        scope,
        cid,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )
