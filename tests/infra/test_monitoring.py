"""Alarms on dead letters, function errors and throttles, overdue refunds and reviews, API 5xx,
all notifying the operations topic; and a dashboard."""

from __future__ import annotations

from infra import topology
from infra.config import cdk_json_context
from tests.infra import tpl


def _alarms(template):
    return [a["Properties"] for a in tpl.resources(template, "AWS::CloudWatch::Alarm").values()]


def test_every_dlq_has_a_depth_alarm(dev):
    """GIVEN four dead-letter queues THEN each has an alarm at one visible message."""
    dlqs = {k for k in tpl.resources(dev, "AWS::SQS::Queue") if "Dlq" in k}
    assert len(dlqs) == 4
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for a in _alarms(dev)
        if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for d in a["Dimensions"]
    }
    assert alarmed == dlqs


def test_every_function_has_error_and_throttle_alarms(dev):
    ids = tpl.function_ids(dev)
    for metric in ("Errors", "Throttles"):
        alarmed = {tpl.refs(a["Dimensions"]).pop() for a in _alarms(dev) if a["MetricName"] == metric}
        assert alarmed == {ids[n] for n in topology.FUNCTIONS}, metric


def test_overdue_metrics_alarm_at_configured_thresholds(dev, prod):
    """GIVEN the sweeps' EMF metrics (namespace cancelflow, service dimension) THEN overdue
    refunds and reviews alarm at the env's thresholds."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        by_name = {a["MetricName"]: a for a in _alarms(template) if a.get("Namespace") == "cancelflow"}
        assert set(by_name) == {"refunds_overdue", "reviews_overdue"}
        for name, alarm in by_name.items():
            assert alarm["Dimensions"] == [{"Name": "service", "Value": "cancelflow"}]
            assert alarm["Threshold"] == ctx[env][f"{name}_threshold"]


def test_api_5xx_alarm_and_all_alarms_notify_ops(dev):
    api_id, _ = tpl.only(dev, "AWS::ApiGatewayV2::Api")
    (a5,) = [a for a in _alarms(dev) if a["MetricName"] == "5xx"]
    assert {"Name": "ApiId", "Value": {"Ref": api_id}} in a5["Dimensions"]
    topic_id, _ = tpl.only(dev, "AWS::SNS::Topic")
    assert all(a["AlarmActions"] == [{"Ref": topic_id}] for a in _alarms(dev))


def test_dashboard_exists(dev):
    _, dash = tpl.only(dev, "AWS::CloudWatch::Dashboard")
    assert dash["Properties"]["DashboardName"] == "cancelflow-dev"
