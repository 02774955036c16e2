"""The events the local runtime hands the handlers, validated against Powertools' parser models
(what the AWS services send): the gateway's (``APIGatewayProxyEventV2Model``), the SQS pollers'
(``SqsModel``), the change stream's (``DynamoDBStreamModel``) and the ticker's
(``EventBridgeModel``). Each event is built by the runtime's own code, fed from in-process moto,
not written by hand; and each kind's check is shown to refuse a broken event, so it can fail.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    DynamoDBStreamModel,
    EventBridgeModel,
    SqsModel,
)
from botocore.config import Config
from pydantic import BaseModel, ValidationError
from starlette.testclient import TestClient

from infra.topology import SCHEDULES, QueueConsumer
from local.auth import Issuer
from local.gateway import build_app
from local.pollers import QueuePoller
from local.streams import StreamPoller
from local.ticker import Ticker
from tests.api.world import SAMPLES, sample_event
from tests.local.fakes import FakeFunctions

Event = dict[str, Any]


def _valid(model: type[BaseModel], event: Event, broken: Callable[[Event], None]) -> None:
    """``event`` validates; the same event, broken as ``broken`` breaks it, does not."""
    model.model_validate(event)
    bad = copy.deepcopy(event)
    broken(bad)
    with pytest.raises(ValidationError):
        model.model_validate(bad)


def _echo(event: Event, context: Any) -> Event:
    return {"statusCode": 200, "body": "{}"}


def test_gateway_events_are_api_gateway_v2_events(tmp_path: Any) -> None:
    """GIVEN requests through the local gateway (a JSON POST with a cookie, a GET with repeated
    query keys, a binary upload) and the committed sample events WHEN validated THEN each is
    an API Gateway HTTP API (payload 2.0) event; one with a header that is not a string is not."""
    issuer = Issuer(issuer="http://127.0.0.1:9")
    fns = FakeFunctions(cancel_api=_echo)
    client = TestClient(build_app(issuer, fns, [], issuer.issuer, console_dir=tmp_path / "none"))
    token, _ = issuer.mint("cust-1", ["customer"])
    auth = {"Authorization": f"Bearer {token}", "Cookie": "a=1; b=2"}
    assert client.post("/v1/orders/o_1/cancellations", headers=auth, json={"action": "x"}).status_code == 200
    assert client.get("/v1/orders?limit=5&tag=a&tag=b", headers=auth).status_code == 200
    png = {**auth, "Content-Type": "image/png"}
    assert (
        client.post("/v1/orders/o_1/evidence-uploads", headers=png, content=b"\x89PNG\r\n").status_code == 200
    )
    events = fns.events["cancel_api"]
    assert len(events) == 3 and events[2]["isBase64Encoded"] is True
    for event in [*events, *(sample_event(s) for s in SAMPLES)]:
        _valid(APIGatewayProxyEventV2Model, event, lambda e: e["headers"].update({"content-length": 12}))
    parsed = APIGatewayProxyEventV2Model.model_validate(events[0])
    assert parsed.requestContext.http.method == "POST" and parsed.cookies == ["a=1", "b=2"]
    assert parsed.requestContext.authorizer is not None and parsed.requestContext.authorizer.jwt is not None
    assert parsed.requestContext.authorizer.jwt.claims["sub"] == "cust-1"
    assert parsed.pathParameters == {"order_id": "o_1"}


def test_queue_deliveries_are_sqs_events(aws: dict[str, str]) -> None:
    """GIVEN messages with string, number and binary attributes WHEN the poller delivers them
    THEN the event is an SQS event; one with snake_case record fields is not."""
    sqs = boto3.client("sqs", region_name="ap-east-1")
    url = sqs.create_queue(QueueName="shapes")["QueueUrl"]
    for i in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps({"i": i}),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "cancellation"},
                "n": {"DataType": "Number", "StringValue": str(i)},
                "raw": {"DataType": "Binary", "BinaryValue": bytes([i, 255])},
            },
        )
    fns = FakeFunctions(consumer=lambda e, c: None)
    p = QueuePoller(QueueConsumer("review", "consumer"), url, fns, threading.Event(), sqs)
    p.queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert p.poll_once(wait_seconds=0) == 3
    (event,) = fns.events["consumer"]

    def snake_case(e: Event) -> None:
        e["Records"][0]["message_id"] = e["Records"][0].pop("messageId")

    _valid(SqsModel, event, snake_case)
    parsed = SqsModel.model_validate(event)
    assert len(parsed.Records) == 3 and parsed.Records[0].eventSourceARN.endswith(":shapes")
    raw = {r.messageAttributes["raw"].binaryValue for r in parsed.Records}
    assert {base64.b64decode(v or "") for v in raw} == {bytes([i, 255]) for i in range(3)}


def test_change_stream_batches_are_dynamodb_stream_events(aws: dict[str, str]) -> None:
    """GIVEN an item of every attribute type inserted, modified and removed WHEN the stream
    poller hands the changes over THEN the event is a DynamoDB stream event whose images
    decode; one with a lower-case event name is not."""
    # in-process streams need this (docs/stack-notes.md, "moto DynamoDB")
    cfg = Config(account_id_endpoint_mode="disabled")
    ddb = boto3.client("dynamodb", region_name="ap-east-1", config=cfg)
    table = aws["CANCELFLOW_TABLE"]
    key = {"pk": {"S": "SHAPE#1"}, "sk": {"S": "SHAPE"}}
    item = {
        **key,
        "n": {"N": "7"},
        "b": {"B": b"\x00\xff"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"\x01"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}]},
        "m": {"M": {"flag": {"BOOL": True}, "none": {"NULL": True}}},
    }
    ddb.put_item(TableName=table, Item=item)
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "8"}},
    )
    ddb.delete_item(TableName=table, Key=key)
    fns = FakeFunctions(publisher=lambda e, c: None)
    p = StreamPoller(
        "publisher",
        table,
        fns,
        threading.Event(),
        ddb,
        boto3.client("dynamodbstreams", region_name="ap-east-1", config=cfg),
    )
    p.stream_arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    assert p.poll_once() is True
    records = [r for e in fns.events["publisher"] for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for event in fns.events["publisher"]:
        _valid(DynamoDBStreamModel, event, lambda e: e["Records"][0].update({"eventName": "insert"}))
    parsed = [r for e in fns.events["publisher"] for r in DynamoDBStreamModel.model_validate(e).Records]
    image = parsed[0].dynamodb.NewImage
    assert isinstance(image, dict) and image["m"] == {"flag": True, "none": None}
    assert base64.b64decode(image["b"]) == b"\x00\xff"  # binary arrives base64-encoded, as from Lambda
    assert parsed[2].dynamodb.OldImage is not None and parsed[2].dynamodb.Keys == {
        "pk": "SHAPE#1",
        "sk": "SHAPE",
    }


def test_schedule_ticks_are_eventbridge_events() -> None:
    """GIVEN every schedule WHEN the ticker runs them THEN each gets an EventBridge scheduled
    event; one whose time is not a time is not."""
    fns = FakeFunctions(**{s.function: (lambda e, c: None) for s in SCHEDULES})
    Ticker(fns, threading.Event()).tick_now()
    for s in SCHEDULES:
        (event,) = fns.events[s.function]
        _valid(EventBridgeModel, event, lambda e: e.update({"time": "at noon"}))
        parsed = EventBridgeModel.model_validate(event)
        assert parsed.detail_type == "Scheduled Event" and parsed.source == "aws.events"
        assert parsed.resources == [f"arn:aws:events:ap-east-1:123456789012:rule/cancelflow-{s.function}"]
