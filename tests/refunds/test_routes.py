"""The refund HTTP routes and the SQS worker handler, called the way AWS calls them (API
Gateway v2 events built from infra/topology.py's routes; SQS batch events)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cancelflow import aws, clock
from cancelflow.refunds import lifecycle, worker
from cancelflow.refunds.model import RefundStatus

from infra.topology import ROUTES
from local.apigw import build_event, match_route, parse_result
from tests.conftest import NOW
from tests.refunds.conftest import SimAdmin, later, owe_refund, paid_order


def call(
    method: str,
    path: str,
    groups: list[str],
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    sub: str | None = None,
) -> tuple[int, Any]:
    from functions.refund.api import handler

    found = match_route(ROUTES, method, path)  # type: ignore[type-var]  # frozen Route vs the Protocol
    assert found is not None
    route, params = found
    claims = {"sub": sub or f"user-{groups[0]}", "cognito:groups": f"[{' '.join(groups)}]"}
    event = build_event(method, path, f"{route.method} {route.path}", params, headers, query, body, claims)
    status, _, raw = parse_result(handler(event, None))
    return status, json.loads(raw)


@pytest.fixture(autouse=True)
def business_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: later(5))


def test_wechat_callback_through_the_platform_route_is_applied_once(sim: SimAdmin) -> None:
    """GIVEN an accepted WeChat refund WHEN the provider's signed callback is forwarded to the
    platform route three times THEN the first applies it and the others answer applied=false."""
    oid = paid_order("c1", 5000, "wechat_pay")
    rid = owe_refund(oid, 5000)
    worker.process(rid, later(1))
    sim.config(duplicate_callbacks=1.0)
    cbs = sim.callbacks()
    cbs = (cbs * 3)[:3]
    answers = [
        call(
            "POST",
            f"/v1/platform/refunds/{rid}/notify",
            ["platform"],
            body=cb["body"].encode(),
            headers={"content-type": "application/json", **cb["headers"]},
        )
        for cb in cbs
    ]
    assert [s for s, _ in answers] == [200, 200, 200]
    assert [b["applied"] for _, b in answers] == [True, False, False]
    assert all(b["status"] == "succeeded" for _, b in answers)


def test_forged_callback_is_refused(sim: SimAdmin) -> None:
    """GIVEN a callback whose body was changed after signing WHEN forwarded THEN 400
    NOTIFICATION_INVALID and the refund is unchanged; a customer may not call the route (403)."""
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    worker.process(rid, later(1))
    cb = sim.callbacks()[0]
    forged = cb["body"].replace("SUCCESS", "ABNORMAL")
    status, body = call(
        "POST",
        f"/v1/platform/refunds/{rid}/notify",
        ["platform"],
        body=forged.encode(),
        headers={"content-type": "application/json", **cb["headers"]},
    )
    assert status == 400 and body["error"]["code"] == "NOTIFICATION_INVALID"
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.PROCESSING
    status, body = call(
        "POST",
        f"/v1/platform/refunds/{rid}/notify",
        ["customer"],
        body=cb["body"].encode(),
        headers={"content-type": "application/json", **cb["headers"]},
    )
    assert status == 403


def test_support_lists_and_retries_only_what_is_retryable(sim: SimAdmin) -> None:
    """GIVEN a refund needing attention and one succeeded WHEN support lists needs_attention THEN
    it sees the first; retrying it answers pending and queues it; retrying the succeeded one is
    409 REFUND_NOT_RETRYABLE."""
    sim.config(insufficient_balance=1.0)
    stuck = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    t = later(1)
    while (a := worker.process(stuck, t)).result == "failed":
        assert a.refund is not None
        t = a.refund.next_attempt_at
    sim.config(insufficient_balance=0.0)
    done = owe_refund(paid_order("c2", 3000, "balance"), 3000)
    assert worker.process(done, later(1)).result == "succeeded"

    status, page = call("GET", "/v1/refunds", ["support"], query={"status": "needs_attention"})
    assert status == 200 and [r["refund_id"] for r in page["items"]] == [stuck]
    assert page["items"][0]["last_error"] == "ACQ.SELLER_BALANCE_NOT_ENOUGH"

    status, body = call("POST", f"/v1/refunds/{stuck}/retry", ["support"])
    assert status == 200 and body["status"] == "pending" and body["failures"] == 0
    msgs = aws.client("sqs").receive_message(QueueUrl=_queue(), MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["refund_id"] for m in msgs] == [stuck]

    status, body = call("POST", f"/v1/refunds/{done}/retry", ["support"])
    assert status == 409 and body["error"]["code"] == "REFUND_NOT_RETRYABLE"
    status, _ = call("GET", "/v1/refunds", ["customer"])
    assert status == 403


def test_overdue_listing_pages_through_shards(sim: SimAdmin) -> None:
    """GIVEN five overdue refunds among others WHEN support lists overdue=true two at a time THEN
    the pages hold exactly those five, each once."""
    rids = [owe_refund(paid_order(f"c{i}", 1000, "alipay"), 1000) for i in range(8)]
    for rid in rids[:5]:
        aws.dynamodb().update_item(
            TableName="cancelflow",
            Key={"pk": {"S": f"REFUND#{rid}"}, "sk": {"S": "REFUND"}},
            UpdateExpression="SET overdue = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )
    seen, cursor = [], None
    for _ in range(50):
        q = {"overdue": "true", "limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = call("GET", "/v1/refunds", ["support"], query=q)
        assert status == 200 and len(page["items"]) <= 2
        seen += [r["refund_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(rids[:5])


def _queue() -> str:
    from cancelflow.settings import get_settings

    return get_settings().refund_queue_url


def _sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"h{i}",
                "body": b,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:cancelflow-refund",
                "awsRegion": "ap-east-1",
            }
            for i, b in enumerate(bodies)
        ]
    }


def test_worker_handler_reports_only_bad_messages(sim: SimAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a batch with a WeChat refund, an Alipay refund and a message of an unknown version
    WHEN the worker Lambda runs THEN only the bad message is a batch item failure; the WeChat
    refund (accepted, result later) is queued again with a delay for its poll."""
    from functions.refund.worker import handler

    monkeypatch.setattr(clock, "now", lambda: NOW)
    wx = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    ali = owe_refund(paid_order("c2", 5000, "alipay"), 5000)
    out = handler(
        _sqs_event(
            json.dumps({"schema_version": 1, "refund_id": wx}),
            json.dumps({"schema_version": 1, "refund_id": ali}),
            json.dumps({"schema_version": 9, "refund_id": ali}),
        ),
        None,
    )
    assert out == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    r1, r2 = lifecycle.get_refund(wx), lifecycle.get_refund(ali)
    assert r1 and r1.status is RefundStatus.PROCESSING and r2 and r2.status is RefundStatus.SUCCEEDED
    q = aws.client("sqs").get_queue_attributes(
        QueueUrl=_queue(), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )
    assert q["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


def test_sample_events_are_accepted() -> None:
    """GIVEN the sample events in events/ WHEN parsed THEN they are the shapes the handlers take."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "events"
    sqs = json.loads((root / "refund-worker-batch.json").read_text())
    assert all(json.loads(r["body"])["schema_version"] == 1 for r in sqs["Records"])
    for name in ("refund-api-list.json", "refund-api-retry.json", "refund-api-notify.json"):
        ev = json.loads((root / name).read_text())
        assert match_route(ROUTES, ev["requestContext"]["http"]["method"], ev["rawPath"]) is not None  # type: ignore[type-var]
