"""An alarm for every way money or a request can get stuck, each on the metric that counts it,
each notifying the operations topic, and each alarm with its runbook line in docs/deploy.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import monitoring, topology
from tests.infra import tpl

DEPLOY_MD = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
APP = {"Name": "service", "Value": "cancelflow"}

# Where money or a request can sit, and the alarm (its id) and metric that must see it. The
# business metrics are the functions' EMF counts (namespace cancelflow, dimension service).
STUCK: dict[str, tuple[str, str, str]] = {
    "refund in needs_attention (support must act)": ("refunds_needs_attention", "cancelflow", ""),
    "refund in needs_customer_action (the customer must act)": (
        "refunds_needs_customer_action",
        "cancelflow",
        "",
    ),
    "refund past its SLA": ("refunds_overdue", "cancelflow", ""),
    "review past its SLA (the order stays held)": ("reviews_overdue", "cancelflow", ""),
    "refund due for an attempt with no message left": ("refunds_handed_back", "cancelflow", ""),
    "domain event the publisher could not put on the bus": ("events_failed", "cancelflow", ""),
    "bank deadlines on a calendar without the year's holidays": ("calendar_year_unknown", "cancelflow", ""),
    "request waiting for review intake": ("reviewQueueAge", "AWS/SQS", "ReviewQueue"),
    "refund waiting for the refund worker": ("refundQueueAge", "AWS/SQS", "RefundQueue"),
    "history entries the outbox has not yet read": ("event_publisherIteratorAge", "AWS/Lambda", ""),
    "review message given up on": ("reviewDlqDepth", "AWS/SQS", "ReviewDlq"),
    "refund message given up on": ("refundDlqDepth", "AWS/SQS", "RefundDlq"),
    "schedule run or ops notification not delivered": ("scheduleDlqDepth", "AWS/SQS", "ScheduleDlq"),
    "stream batch the publisher gave up on": ("publisherDlqDepth", "AWS/SQS", "PublisherDlq"),
}


def _alarms(template) -> dict[str, dict]:
    """alarm id (its name without the stack's prefix) -> properties"""
    out = {}
    for res in tpl.resources(template, "AWS::CloudWatch::Alarm").values():
        p = res["Properties"]
        out[p["AlarmName"].split("-", 2)[2]] = p
    return out


def _runbook() -> dict[str, str]:
    """alarm id (or pattern with <function>) -> its runbook line, from docs/deploy.md."""
    text = DEPLOY_MD.read_text()
    section = text.split("## Alarms and runbook\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", section, re.M)}


def _expected_metric(alarm_id: str, namespace: str) -> str:
    if namespace == "cancelflow":
        return alarm_id
    if namespace == "AWS/Lambda":
        return "IteratorAge"
    if alarm_id.endswith("QueueAge"):
        return "ApproximateAgeOfOldestMessage"
    return "ApproximateNumberOfMessagesVisible"


@pytest.mark.parametrize("state", sorted(STUCK))
def test_one_alarm_per_stuck_state_on_its_metric_notifying_ops(synth, state):
    """GIVEN a way money or a request can get stuck THEN in every environment exactly one alarm
    watches the metric that counts it (the right namespace, dimension and resource), fires at
    the first sign (>= its threshold in one 5-minute period) and notifies the operations topic."""
    alarm_id, namespace, resource = STUCK[state]
    metric = _expected_metric(alarm_id, namespace)
    for env, template in synth.templates.items():
        alarms = _alarms(template)
        assert alarm_id in alarms, (env, state)
        a = alarms[alarm_id]
        assert a["AlarmName"] == f"cancelflow-{env}-{alarm_id}"
        assert (a["Namespace"], a["MetricName"]) == (namespace, metric), state
        same = [x for x in alarms.values() if (x["Namespace"], x["MetricName"]) == (namespace, metric)]
        if namespace == "cancelflow":
            assert a["Dimensions"] == [APP]
            assert len(same) == 1, f"{metric} has {len(same)} alarms"
        elif namespace == "AWS/SQS":
            (queue,) = tpl.refs(a["Dimensions"])
            assert resource in queue, (state, queue)
            assert [x for x in same if tpl.refs(x["Dimensions"]) == {queue}] == [a]
        else:
            assert tpl.refs(a["Dimensions"]) == {tpl.function_ids(template)["event_publisher"]}
        assert a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert a["EvaluationPeriods"] == 1 and a["Period"] == 300
        assert a["Statistic"] == ("Sum" if namespace == "cancelflow" else "Maximum")
        (topic_id, _) = tpl.only(template, "AWS::SNS::Topic")
        assert a["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm_id in a["AlarmDescription"] and monitoring.RUNBOOK in a["AlarmDescription"]


def test_needs_action_refunds_alarm_on_the_first_one(synth):
    """GIVEN a refund that entered needs_attention or needs_customer_action THEN one is enough."""
    for template in synth.templates.values():
        alarms = _alarms(template)
        for name in ("refunds_needs_attention", "refunds_needs_customer_action", "events_failed"):
            assert alarms[name]["Threshold"] == 1


def test_every_alarm_has_a_runbook_line(synth):
    """GIVEN docs/deploy.md, "Alarms and runbook" THEN every alarm of every environment has its
    line (what it means, what to look at, what to do), and no line names an alarm that is gone."""
    runbook = _runbook()
    patterns = {k for k in runbook if "<function>" in k}
    used: set[str] = set()
    for template in synth.templates.values():
        for alarm_id in _alarms(template):
            if alarm_id in runbook:
                used.add(alarm_id)
                continue
            matched = {
                p for p in patterns for f in topology.FUNCTIONS if p.replace("<function>", f) == alarm_id
            }
            assert matched, f"alarm {alarm_id} has no line in the runbook table"
            used |= matched
    assert set(runbook) == used, f"runbook lines for no alarm: {sorted(set(runbook) - used)}"
    for line in runbook.values():
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), line  # alarm, means, look at, do
