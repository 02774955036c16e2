"""Event fixtures: the table's change stream read like Lambda's event source mapping, a rule
on the bus delivering to an SQS queue, and a scenario that writes every kind of entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import NOW


def _plain(v: Any) -> Any:
    """botocore's parsed stream record back to the JSON a Lambda event carries."""
    if isinstance(v, datetime):
        return int(v.timestamp())
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | set):
        return [_plain(x) for x in v]
    return v


class Stream:
    """The table's stream as Lambda's event source mapping consumes it: batches in order,
    and after a partial failure the shard resumes at the first failed sequence number."""

    def __init__(self, batch_size: int = 100) -> None:
        import boto3
        from botocore.config import Config
        from cancelflow.settings import get_settings

        self.batch_size = batch_size
        self.streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
        ddb = boto3.client("dynamodb")
        self.arn = ddb.describe_table(TableName=get_settings().table_name)["Table"]["LatestStreamArn"]
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        assert len(shards) == 1
        self.shard = shards[0]["ShardId"]
        self.position: tuple[str, str | None] = ("TRIM_HORIZON", None)
        self.invocations = 0

    def _records(self) -> list[dict[str, Any]]:
        kind, seq = self.position
        kw: dict[str, Any] = {"StreamArn": self.arn, "ShardId": self.shard, "ShardIteratorType": kind}
        if seq:
            kw["SequenceNumber"] = seq
        it = self.streams.get_shard_iterator(**kw)["ShardIterator"]
        recs = self.streams.get_records(ShardIterator=it, Limit=self.batch_size).get("Records", [])
        return [
            {
                "eventID": r["eventID"],
                "eventName": r["eventName"],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-east-1",
                "dynamodb": _plain(r["dynamodb"]),
                "eventSourceARN": self.arn,
            }
            for r in recs
        ]

    def drain(
        self, handler: Callable[[dict[str, Any], Any], dict[str, Any]], max_invocations: int = 500
    ) -> int:
        """Feed every record to ``handler`` until the shard is read to its end; returns records."""
        done = 0
        while self.invocations < max_invocations:
            recs = self._records()
            if not recs:
                return done
            self.invocations += 1
            failures = handler({"Records": recs}, None).get("batchItemFailures") or []
            seqs = sorted((str(f["itemIdentifier"]) for f in failures), key=lambda s: (len(s), s))
            if seqs:
                self.position = ("AT_SEQUENCE_NUMBER", seqs[0])
                done += sum(
                    1
                    for r in recs
                    if (len(r["dynamodb"]["SequenceNumber"]), r["dynamodb"]["SequenceNumber"])
                    < (len(seqs[0]), seqs[0])
                )
            else:
                self.position = ("AFTER_SEQUENCE_NUMBER", recs[-1]["dynamodb"]["SequenceNumber"])
                done += len(recs)
        raise AssertionError("the stream never drained")


@pytest.fixture
def sink(aws: dict[str, str]) -> str:
    """An SQS queue behind a rule matching every cancelflow event on the bus."""
    import boto3
    from cancelflow.settings import get_settings

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="events-sink")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    bus = get_settings().event_bus_name
    events.put_rule(
        Name="all-cancelflow", EventBusName=bus, EventPattern=json.dumps({"source": ["cancelflow"]})
    )
    events.put_targets(Rule="all-cancelflow", EventBusName=bus, Targets=[{"Id": "sink", "Arn": arn}])
    return str(url)


def received(url: str) -> list[dict[str, Any]]:
    import boto3

    sqs = boto3.client("sqs")
    out: list[dict[str, Any]] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        )
        if not msgs:
            return out
        for m in msgs:
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _intake(now: datetime) -> None:
    """Review intake for what is on the review queue (the review step's own code)."""
    import boto3
    from cancelflow.messages import ReviewMessage
    from cancelflow.review.intake import accept
    from cancelflow.settings import get_settings

    sqs = boto3.client("sqs")
    url = get_settings().review_queue_url
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        accept(ReviewMessage.from_json(m["Body"]), now)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def scenario(catalog: dict[str, str]) -> dict[str, str]:
    """Orders taken through the paths that produce catalogued events (and some that do not):
    self-cancel, expiry by the sweep, auto-approved cancel with its refund turning overdue and
    then succeeding, a late payment, and a request under review escalated by the sweep."""
    from cancelflow.cancel import submit_cancellation
    from cancelflow.domain.options import Action, Submission
    from cancelflow.domain.products import Channel
    from cancelflow.domain.reasons import Reason
    from cancelflow.refunds import lifecycle, results
    from cancelflow.refunds.model import Outcome, ProviderResult
    from cancelflow.store import orders, payments
    from cancelflow.sweeps.expiry import expire_due
    from cancelflow.sweeps.refunds import flag_overdue
    from cancelflow.sweeps.reviews import escalate_due

    t = NOW
    a = orders.create_order("c1", catalog["game_card"], 1, t)
    orders.self_cancel(a, t + timedelta(minutes=1))
    b = orders.create_order("c2", catalog["mobile_topup"], 1, t, target="13800000000")
    c = orders.create_order("c3", catalog["software_license"], 1, t)
    payments.confirm_payment(c.order_id, "pay-c", c.amount, Channel.ALIPAY, t + timedelta(minutes=1))
    done = submit_cancellation.submit(
        "c3",
        c.order_id,
        Submission(action=Action.REQUEST, reason_code=Reason.CHANGED_MIND),
        t + timedelta(minutes=2),
    )
    d = orders.create_order("c4", catalog["game_card"], 1, t)
    e = orders.create_order("c5", catalog["game_card"], 1, t)
    payments.confirm_payment(e.order_id, "pay-e", e.amount, Channel.WECHAT_PAY, t + timedelta(minutes=1))
    submit_cancellation.submit(
        "c5",
        e.order_id,
        Submission(action=Action.REQUEST, reason_code=Reason.CHANGED_MIND),
        t + timedelta(minutes=30),
    )
    _intake(t + timedelta(minutes=31))  # e's review task
    expire_due(t + timedelta(minutes=20))  # b and d
    payments.confirm_payment(d.order_id, "pay-d", d.amount, Channel.ALIPAY, t + timedelta(minutes=25))  # late
    flag_overdue(t + timedelta(hours=2))  # c's refund (alipay: 1 h SLA)
    refund = lifecycle.get_refund(str(done.refund_id))
    assert refund is not None
    results.record(
        refund, ProviderResult(Outcome.SUCCEEDED, "SUCCESS"), t + timedelta(hours=3), actor_id="test"
    )
    escalate_due(t + timedelta(hours=4))  # e's review is overdue: escalated
    return {"a": a.order_id, "b": b.order_id, "c": c.order_id, "d": d.order_id, "e": e.order_id}
