"""Alarms on dead letters, function errors and throttles, overdue refunds and reviews, API 5xx,
all notifying the operations topic; and a dashboard. (One alarm per stuck state, and the
runbook: tests/infra/test_alarms.py.)"""

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
        for name in ("refunds_overdue", "reviews_overdue"):
            alarm = by_name[name]
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


def test_ops_topic_is_encrypted_with_a_key_cloudwatch_and_eventbridge_may_use(synth):
    """GIVEN alarms and the overdue rule publishing to the operations topic THEN the topic is
    encrypted with its own rotated key (not alias/aws/sns, whose policy admits no AWS service)
    and the key's policy gives CloudWatch and EventBridge what SNS documents for a publishing
    service: kms:Decrypt and kms:GenerateDataKey*."""
    for template in synth.templates.values():
        key_id, key = tpl.only(template, "AWS::KMS::Key", "OpsKey")
        _, topic = tpl.only(template, "AWS::SNS::Topic")
        assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert key["Properties"]["EnableKeyRotation"] is True
        services = {
            s["Principal"]["Service"]: sorted(tpl.as_list(s["Action"]))
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if "Service" in s["Principal"]
        }
        assert services == {
            "cloudwatch.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "events.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey*"],
        }
