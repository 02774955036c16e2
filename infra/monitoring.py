"""Monitoring: alarms (dead letters, function errors and throttles, overdue refunds and reviews,
API 5xx) on one operations topic, and a dashboard of the same signals."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import EnvConfig

# Powertools Metrics (EMF) put every metric under the namespace with a "service" dimension.
NAMESPACE = "cancelflow"
SERVICE_DIMENSION = {"service": "cancelflow"}
OVERDUE_METRICS = ("refunds_overdue", "reviews_overdue")
# where each SLA is written down (an alarm's description points the on-call reader there)
_SLA_SECTION = {"refunds_overdue": "Refund SLA and overdue", "reviews_overdue": "Review"}
PERIOD = Duration.minutes(5)


class OpsTopic(Construct):
    """Where alarms and operator-relevant domain events go (subscribe e-mail or chat to it)."""

    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.topic = sns.Topic(
            self, "Topic", display_name=f"cancelflow {cfg.name} operations", enforce_ssl=True
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
        dlqs: dict[str, sqs.IQueue],
        api: apigw.HttpApi,
    ) -> None:
        super().__init__(scope, cid)
        self.alarms: dict[str, cw.Alarm] = {}
        action = cw_actions.SnsAction(topic)

        def alarm(name: str, metric: cw.IMetric, threshold: float, description: str) -> cw.Alarm:
            a = cw.Alarm(
                self,
                name,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            a.add_alarm_action(action)
            self.alarms[name] = a
            return a

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
        thresholds = {
            "refunds_overdue": cfg.refunds_overdue_threshold,
            "reviews_overdue": cfg.reviews_overdue_threshold,
        }
        overdue = {
            name: cw.Metric(
                namespace=NAMESPACE,
                metric_name=name,
                dimensions_map=SERVICE_DIMENSION,
                statistic="Sum",
                period=PERIOD,
            )
            for name in OVERDUE_METRICS
        }
        for name, metric in overdue.items():
            where = f'docs/domain.md, "{_SLA_SECTION[name]}"'
            alarm(name, metric, thresholds[name], f"{name.replace('_', ' ')} past their SLA ({where})")
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
            cw.GraphWidget(title="Overdue (SLA)", left=list(overdue.values())),
            cw.GraphWidget(
                title="Dead-letter queues",
                left=[
                    q.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")
                    for q in dlqs.values()
                ],
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Function errors", left=[fn.metric_errors(period=PERIOD) for fn in functions.values()]
            ),
            cw.GraphWidget(
                title="Function throttles",
                left=[fn.metric_throttles(period=PERIOD) for fn in functions.values()],
            ),
            cw.GraphWidget(
                title="Function duration p99",
                left=[fn.metric_duration(period=PERIOD, statistic="p99") for fn in functions.values()],
            ),
        )
        self.dashboard.add_widgets(cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values())))
