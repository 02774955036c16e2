"""The change-stream poller and the schedule ticker of the local runtime (in-process moto)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, EventBridgeEvent
from botocore.config import Config
from cancelflow.domain.products import ProductType
from cancelflow.store import stock

from infra.topology import SCHEDULES
from local.streams import StreamPoller
from local.ticker import Ticker
from tests.local.fakes import FakeFunctions


def _stream_poller(aws: dict[str, str], fn: Any) -> StreamPoller:
    # in-process streams need this (docs/stack-notes.md, "moto DynamoDB")
    cfg = Config(account_id_endpoint_mode="disabled")
    p = StreamPoller(
        "publisher",
        aws["CANCELFLOW_TABLE"],
        FakeFunctions(publisher=fn),
        threading.Event(),
        boto3.client("dynamodb", region_name="ap-east-1", config=cfg),
        boto3.client("dynamodbstreams", region_name="ap-east-1", config=cfg),
    )
    p.stream_arn = p.ddb.describe_table(TableName=p.table)["Table"]["LatestStreamArn"]
    return p


def test_stream_records_reach_the_consumer_in_order_and_once(aws: dict[str, str]) -> None:
    """GIVEN writes to the table WHEN the stream poller runs twice
    THEN the consumer got each change once, as Powertools' DynamoDBStreamEvent reads it."""
    stock.put_product("p1", ProductType.GAME_CARD, 100, "a", "b")
    stock.add_keys("p1", [("k1", "c1")])
    got: list[dict[str, Any]] = []
    p = _stream_poller(aws, lambda e, c: got.append(e))
    assert p.poll_once() is True
    assert p.poll_once() is False  # nothing new: nothing handed over again
    records = [r for e in got for r in DynamoDBStreamEvent(e).records]
    assert [r.event_name.name for r in records if r.event_name] == ["INSERT", "INSERT"]
    assert records[0].dynamodb is not None and records[0].dynamodb.keys == {
        "pk": "PRODUCT#p1",
        "sk": "PRODUCT",
    }
    assert records[1].dynamodb is not None and records[1].dynamodb.new_image["status"] == "available"
    assert records[0].event_source_arn == p.stream_arn and records[0].aws_region == "ap-east-1"


def test_a_failed_batch_is_retried_from_where_it_started(aws: dict[str, str]) -> None:
    """GIVEN a consumer that fails its first call WHEN polled again THEN the same records come back."""
    stock.put_product("p2", ProductType.GAME_CARD, 100, "a", "b")
    calls: list[int] = []

    def flaky(event: dict[str, Any], context: Any) -> None:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("bus down")

    p = _stream_poller(aws, flaky)
    with pytest.raises(RuntimeError):
        p.poll_once()
    p.poll_once()
    assert calls == [1, 1]
    assert p.stats.records == 1


def test_batch_item_failures_resume_at_the_first_failed_record(aws: dict[str, str]) -> None:
    """GIVEN three changes and a consumer reporting the second failed once
    WHEN polled twice THEN the second call starts at the second record."""
    for pid in ("a1", "a2", "a3"):
        stock.put_product(pid, ProductType.GAME_CARD, 100, "a", "b")
    batches: list[list[str]] = []

    def partial(event: dict[str, Any], context: Any) -> Any:
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        batches.append(seqs)
        return {"batchItemFailures": [{"itemIdentifier": seqs[1]}]} if len(batches) == 1 else None

    p = _stream_poller(aws, partial)
    with pytest.raises(RuntimeError):
        p.poll_once()
    p.poll_once()
    assert batches[1] == batches[0][1:]


def test_ticker_sends_scheduled_events_to_every_schedule() -> None:
    """GIVEN every schedule's handler, one of them failing WHEN ticked THEN each runs once with an
    EventBridge scheduled event, and the failure is counted, not raised (as an asynchronous
    invocation's would be)."""
    first, broken = SCHEDULES[0].function, SCHEDULES[-1].function

    def fails(event: Any, context: Any) -> Any:
        raise RuntimeError("boom")

    fns = FakeFunctions(**{s.function: (lambda e, c: {"ran": True}) for s in SCHEDULES} | {broken: fails})
    t = Ticker(fns, threading.Event())
    assert t.tick_now() == [s.function for s in SCHEDULES]
    ev = EventBridgeEvent(fns.events[first][0])
    assert ev.detail_type == "Scheduled Event" and ev.source == "aws.events"
    assert ev.resources[0].endswith(f"rule/cancelflow-{first}")
    assert t.stats.runs == {s.function: 1 for s in SCHEDULES if s.function != broken}
    assert t.stats.errors == {broken: 1} and len(fns.events[broken]) == 1


def test_ticker_runs_schedules_at_the_rates_the_cdk_deploys_for_dev() -> None:
    """GIVEN cdk.json's dev environment WHEN the ticker's periods are read THEN they are the CDK's."""
    from infra.config import cdk_json_context, from_context

    cfg = from_context("dev", cdk_json_context())
    t = Ticker(FakeFunctions(), threading.Event())
    assert {s.function: t.period(s) for s in SCHEDULES} == {
        s.function: cfg.rate_minutes(s) * 60.0 for s in SCHEDULES
    }
    assert Ticker(FakeFunctions(), threading.Event(), rate_seconds=2).period(SCHEDULES[0]) == 2
