"""The refund worker's business metrics (their list: docs/events.md, "Metrics"): ``refunds`` by
channel and outcome for every refund an attempt moved, and once per invocation the refunds that
entered needs_attention / needs_customer_action (alarmed on: exactly these names, with the
service dimension only). Read back from the EMF documents Powertools prints on stdout."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cancelflow import clock
from cancelflow.messages import RefundMessage
from cancelflow.settings import reset_settings

from tests.refunds.conftest import SimAdmin, later, owe_refund, paid_order


def _emf(out: str) -> list[dict[str, Any]]:
    """Every EMF document in ``out``: (metric name, value, dimensions, namespace) per metric."""
    docs = []
    for line in out.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict) or "_aws" not in doc:
            continue
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        dimensions = {name: doc[name] for names in directive["Dimensions"] for name in names}
        for metric in directive["Metrics"]:
            values = doc[metric["Name"]]
            docs.append(
                {
                    "name": metric["Name"],
                    "unit": metric["Unit"],
                    "value": sum(values) if isinstance(values, list) else values,
                    "dimensions": dimensions,
                    "namespace": directive["Namespace"],
                }
            )
    return docs


def _work(*refund_ids: str) -> None:
    from functions.refund.worker import handler

    event = {
        "Records": [
            {"messageId": f"m{i}", "body": RefundMessage(refund_id=rid).to_json()}
            for i, rid in enumerate(refund_ids)
        ]
    }
    assert handler(event, None) == {"batchItemFailures": []}


@pytest.fixture
def at_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker reads business time from the clock: just after the refunds were created."""
    monkeypatch.setattr(clock, "now", lambda: later(1))


def test_a_refund_that_succeeds_is_counted_by_channel_and_outcome(
    sim: SimAdmin, at_later: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN an Alipay refund the provider pays at once WHEN the worker handles its message THEN
    one ``refunds`` count (channel alipay, outcome succeeded) and both needs-a-person counts 0."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    capsys.readouterr()
    _work(rid)
    metrics = _emf(capsys.readouterr().out)
    assert {
        "name": "refunds",
        "unit": "Count",
        "value": 1.0,
        "dimensions": {"channel": "alipay", "outcome": "succeeded", "service": "cancelflow"},
        "namespace": "cancelflow",
    } in metrics
    by_name = {m["name"]: m for m in metrics}
    for name in ("refunds_needs_attention", "refunds_needs_customer_action"):
        assert by_name[name]["value"] == 0.0
        assert by_name[name]["dimensions"] == {"service": "cancelflow"}


def test_refunds_that_need_a_person_are_counted_under_the_alarmed_names(
    sim: SimAdmin, at_later: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN two refunds whose accounts are closed WHEN the worker handles both in one batch THEN
    each is counted (alipay, needs_customer_action) and refunds_needs_customer_action is 2, with
    the service dimension only (what the alarms watch); GIVEN then a refund the provider refuses
    (one failure allowed) WHEN handled THEN refunds_needs_attention is 1 for that invocation."""
    closed = []
    for customer in ("c1", "c2"):
        order = paid_order(customer, 3000, "alipay")
        closed.append(owe_refund(order, 3000))
        sim.set_account(f"pay-{order}", closed=True)
    capsys.readouterr()
    _work(*closed)
    metrics = _emf(capsys.readouterr().out)
    refunds = [m["dimensions"] for m in metrics if m["name"] == "refunds"]
    assert refunds == [{"channel": "alipay", "outcome": "needs_customer_action", "service": "cancelflow"}] * 2
    totals = {
        m["name"]: (m["value"], m["dimensions"], m["namespace"]) for m in metrics if m["name"] != "refunds"
    }
    assert totals == {
        "refunds_needs_customer_action": (2.0, {"service": "cancelflow"}, "cancelflow"),
        "refunds_needs_attention": (0.0, {"service": "cancelflow"}, "cancelflow"),
    }

    monkeypatch.setenv("CANCELFLOW_REFUND_MAX_FAILURES", "1")
    reset_settings()
    sim.config(insufficient_balance=1.0)
    refused = owe_refund(paid_order("c3", 5000, "alipay"), 5000)
    capsys.readouterr()
    _work(refused)
    metrics = _emf(capsys.readouterr().out)
    assert [m["dimensions"]["outcome"] for m in metrics if m["name"] == "refunds"] == ["needs_attention"]
    assert {m["name"]: m["value"] for m in metrics if m["name"] != "refunds"} == {
        "refunds_needs_attention": 1.0,
        "refunds_needs_customer_action": 0.0,
    }


def test_a_message_for_a_settled_refund_counts_nothing_but_the_zeroes(
    sim: SimAdmin, at_later: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a refund already succeeded WHEN its message is delivered again THEN no ``refunds``
    count (the attempt moved nothing), the needs-a-person counts 0."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    _work(rid)
    capsys.readouterr()
    _work(rid)
    metrics = _emf(capsys.readouterr().out)
    assert [m["name"] for m in metrics if m["name"] == "refunds"] == []
    assert {m["name"]: m["value"] for m in metrics} == {
        "refunds_needs_attention": 0.0,
        "refunds_needs_customer_action": 0.0,
    }


def test_a_callback_that_settles_a_refund_is_counted_once(
    sim: SimAdmin, at_later: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a WeChat refund the provider accepted (counted as processing) WHEN its signed
    callback reaches the platform route twice THEN the refund's success is counted once, by
    channel, and nothing needs a person."""
    from cancelflow.refunds import worker

    from tests.refunds.test_routes import call

    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    assert worker.process(rid, later(1)).result == "processing"
    sim.config(duplicate_callbacks=1.0)
    callbacks = (sim.callbacks() * 2)[:2]
    capsys.readouterr()
    for cb in callbacks:
        status, body = call(
            "POST",
            f"/v1/platform/refunds/{rid}/notify",
            ["platform"],
            body=cb["body"].encode(),
            headers={"content-type": "application/json", **cb["headers"]},
        )
        assert status == 200 and body["status"] == "succeeded", body
    metrics = _emf(capsys.readouterr().out)
    assert [(m["name"], m["dimensions"]) for m in metrics] == [
        ("refunds", {"channel": "wechat_pay", "outcome": "succeeded", "service": "cancelflow"})
    ]
