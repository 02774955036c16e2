"""Monitoring: one operations topic (encrypted with its own key), an alarm for every way money or
a request can get stuck, alarms on every dead letter, function error and throttle and on API 5xx,
and a dashboard of the same signals. Every alarm is named ``<stack>-<id>`` and has a runbook line
under its id in docs/deploy.md, "Alarms and runbook" (tests/infra/test_alarms.py checks both)."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import EnvConfig
from infra.keys import customer_key

# Powertools Metrics (EMF) put every metric under the namespace with a "service" dimension.
NAMESPACE = "cancelflow"
SERVICE_DIMENSION = {"service": "cancelflow"}
PERIOD = Duration.minutes(5)
RUNBOOK = 'docs/deploy.md, "Alarms and runbook"'

# The business metrics (functions/, docs/events.md "Metrics") that count money or requests that
# are stuck, each alarming at its Sum in one period: what the count means.
STUCK_METRICS: dict[str, str] = {
    "refunds_overdue": "refunds not succeeded by their SLA",
    "reviews_overdue": "requests whose review is past its SLA (escalated to seniors)",
    "refunds_needs_attention": "refunds that entered needs_attention: support retries or settles them",
    "refunds_needs_customer_action": "refunds that entered needs_customer_action: the customer's "
    "destination cannot receive",
    "refunds_handed_back": "refunds due for an attempt that no message would bring (handed back)",
    "events_failed": "domain events the outbox publisher could not put on the bus",
    # not money stuck yet, but soon: bank refund deadlines would count holidays as business days
    "calendar_year_unknown": "the business calendar lacks this year's or (from 15 December) next "
    "year's holidays",
}
# Oldest message a work queue may hold (seconds). Review: intake takes about a second and urgent
# tasks owe a first response 5 minutes after the request. Refund: a retry or poll is a message
# delayed up to 15 minutes; half the 60-minute SLA of the instant channels.
QUEUE_AGE_SECONDS = {"review": 300, "refund": 1800}
# Oldest table-stream record the outbox publisher has not yet handled (milliseconds).
PUBLISHER_ITERATOR_AGE_MS = 5 * 60 * 1000


class OpsTopic(Construct):
    """Where alarms and operator-relevant domain events go (subscribe e-mail or chat to it).

    Encrypted with a customer managed key: CloudWatch alarms cannot publish to a topic under the
    AWS-managed key (alias/aws/sns), whose policy no one can change; this key's policy lets the
    CloudWatch service principal use it (docs/deploy.md, "What checkov flags and why")."""

    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.key = customer_key(self, "Key", cfg=cfg, description=f"cancelflow {cfg.name} operations topic")
        # The statement the SNS guide gives AWS services that publish to an encrypted topic
        # ("Enable compatibility between event sources from AWS services and encrypted topics").
        # EventBridge (the NeedsAPersonToOps rule) gets the same from the CDK's SnsTopic target.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"cancelflow {cfg.name} operations",
            enforce_ssl=True,
            master_key=self.key,
        )
        if cfg.alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(cfg.alarm_email))


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        cfg: EnvConfig,
        topic: sns.ITopic,
        functions: dict[str, lambda_.Function],
        queues: dict[str, sqs.IQueue],
        dlqs: dict[str, sqs.IQueue],
        api: apigw.HttpApi,
    ) -> None:
        super().__init__(scope, cid)
        self.alarms: dict[str, cw.Alarm] = {}
        action = cw_actions.SnsAction(topic)
        prefix = Stack.of(self).stack_name

        def alarm(name: str, metric: cw.IMetric, threshold: float, description: str) -> cw.Alarm:
            a = cw.Alarm(
                self,
                name,
                alarm_name=f"{prefix}-{name}",
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=f"{description} (runbook: {RUNBOOK}, {name})",
            )
            a.add_alarm_action(action)
            self.alarms[name] = a
            return a

        thresholds = {
            "refunds_overdue": cfg.refunds_overdue_threshold,
            "reviews_overdue": cfg.reviews_overdue_threshold,
        }
        stuck = {
            name: cw.Metric(
                namespace=NAMESPACE,
                metric_name=name,
                dimensions_map=SERVICE_DIMENSION,
                statistic="Sum",
                period=PERIOD,
            )
            for name in STUCK_METRICS
        }
        for name, metric in stuck.items():
            alarm(name, metric, thresholds.get(name, 1), STUCK_METRICS[name])
        ages = {
            name: queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
            for name, queue in queues.items()
        }
        for name, metric in ages.items():
            seconds = QUEUE_AGE_SECONDS[name]
            alarm(f"{name}QueueAge", metric, seconds, f"a {name} queue message waited {seconds} s or more")
        publisher_age = functions["event_publisher"].metric("IteratorAge", period=PERIOD, statistic="Maximum")
        alarm(
            "event_publisherIteratorAge",
            publisher_age,
            PUBLISHER_ITERATOR_AGE_MS,
            "the outbox publisher is 5 minutes or more behind the table stream",
        )
        for name, dlq in dlqs.items():
            alarm(
                f"{name}DlqDepth",
                dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                1,
                f"messages in the {name} dead-letter queue: inspect, fix, redrive",
            )
        for name, fn in functions.items():
            alarm(f"{name}Errors", fn.metric_errors(period=PERIOD), 1, f"{name} raised errors")
            alarm(f"{name}Throttles", fn.metric_throttles(period=PERIOD), 1, f"{name} was throttled")
        api_5xx = api.metric_server_error(period=PERIOD, statistic="Sum")
        alarm("Api5xx", api_5xx, 1, "the API answered 5xx")

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"cancelflow-{cfg.name}")
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="API requests and errors",
                left=[
                    api.metric_count(period=PERIOD, statistic="Sum"),
                    api.metric_client_error(period=PERIOD, statistic="Sum"),
                    api_5xx,
                ],
                right=[api.metric_latency(period=PERIOD, statistic="p99")],
            ),
            cw.GraphWidget(title="Stuck money and requests", left=list(stuck.values())),
            cw.GraphWidget(
                title="Waiting: queue age (s), publisher lag (ms)",
                left=list(ages.values()),
                right=[publisher_age],
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Dead-letter queues",
                left=[
                    q.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
                    for q in dlqs.values()
                ],
            ),
            cw.GraphWidget(
                title="Function errors", left=[fn.metric_errors(period=PERIOD) for fn in functions.values()]
            ),
            cw.GraphWidget(
                title="Function throttles",
                left=[fn.metric_throttles(period=PERIOD) for fn in functions.values()],
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Function duration p99",
                left=[fn.metric_duration(period=PERIOD, statistic="p99") for fn in functions.values()],
            ),
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values())),
        )
