"""The providers' own callback route, ``POST /v1/providers/{channel}/refunds/notify``: what a
real WeChat Pay (or acquirer) sends to the fixed ``notify_url`` it was given, with no token.
GIVEN the simulator's signed (and for WeChat encrypted) callbacks WHEN sent as the provider sends
them THEN verified, found by the refund number inside, applied once, and answered in the
provider's dialect (204; 400/500 ``{"code": "FAIL"}``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cancelflow import clock
from cancelflow.refunds import lifecycle, worker
from cancelflow.refunds.model import RefundStatus

from infra.topology import ROUTES
from local.apigw import build_event, match_route, parse_result
from tests.refunds.conftest import SimAdmin, later, owe_refund, paid_order


def send(channel: str, body: str, headers: dict[str, str]) -> tuple[int, Any]:
    """As API Gateway delivers it to a route without an authorizer: no claims at all."""
    from functions.refund.api import handler

    path = f"/v1/providers/{channel}/refunds/notify"
    found = match_route(ROUTES, "POST", path)  # type: ignore[type-var]
    assert found is not None
    route, params = found
    assert route.public
    headers = {"content-type": "application/json", **headers}
    event = build_event(
        "POST", path, f"{route.method} {route.path}", params, headers, None, body.encode(), None
    )
    status, _, raw = parse_result(handler(event, None))
    return status, json.loads(raw) if raw else None


@pytest.fixture(autouse=True)
def business_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: later(5))


def test_a_signed_callback_is_applied_once_and_answered_204(sim: SimAdmin) -> None:
    channel = "wechat_pay"
    rid = owe_refund(paid_order("c1", 5000, channel), 5000)
    worker.process(rid, later(1))
    cb = sim.callbacks()[0]
    answers = [send(channel, cb["body"], cb["headers"]) for _ in range(3)]
    assert answers == [(204, None)] * 3  # a duplicate is "received" too: it must stop resending
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.SUCCEEDED
    assert [p["refund_no"] for p in sim.payouts()["payouts"]] == [r.refund_no]  # paid once


def test_a_forged_callback_is_refused_fail_and_changes_nothing(sim: SimAdmin) -> None:
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    worker.process(rid, later(1))
    cb = sim.callbacks()[0]
    doc = json.loads(cb["body"])
    doc["resource"]["ciphertext"] = doc["resource"]["ciphertext"][::-1]
    status, body = send("wechat_pay", json.dumps(doc), cb["headers"])
    assert status == 400 and body["code"] == "FAIL" and body["message"]
    status, body = send("wechat_pay", cb["body"], {})  # unsigned: no Wechatpay-* headers
    assert status == 400 and body["code"] == "FAIL"
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.PROCESSING


def test_a_callback_sent_to_another_providers_route_is_refused(sim: SimAdmin) -> None:
    """GIVEN WeChat's callback WHEN sent to the acquirer's route THEN FAIL: it does not verify
    as the acquirer's, and nothing is applied."""
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    worker.process(rid, later(1))
    cb = sim.callbacks()[0]
    status, body = send("bank_card", cb["body"], cb["headers"])
    assert status == 400 and body["code"] == "FAIL"
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.PROCESSING


def test_the_route_takes_only_providers_that_send_callbacks() -> None:
    status, _ = send("alipay", "{}", {})
    assert status == 422  # Alipay answers refunds synchronously: no route for it
