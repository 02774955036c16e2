"""The outbox publisher: every event reaches the bus at least once, with one id per fact."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from cancelflow.events.outbox import from_history
from cancelflow.events.publisher import publish
from cancelflow.events.schemas import event_schema
from cancelflow.store import ddb, history

from tests.events.conftest import Stream, received

SAMPLES = Path(__file__).parents[2] / "events"


def _expected_ids() -> dict[str, str]:
    """event_id -> detail-type for every catalogued history entry in the table, and the
    ``customer.notified`` of every entry its customer is told of (its id: the notice's)."""
    from cancelflow.inbox.notices import notice_of
    from cancelflow.store import inbox

    out: dict[str, str] = {}
    for item in _history():
        entry = history.of_item(item)
        ev = from_history(entry)
        if ev is not None:
            out[ev.event_id] = ev.detail_type
        customer = inbox.customer_of(entry.order_id)
        told = notice_of(entry, customer) if customer else None
        if told is not None:
            out[told.notice_id] = "customer.notified"
    return out


def _history() -> list[dict[str, Any]]:
    return _items("history")


def _items(kind: str) -> list[dict[str, Any]]:
    from cancelflow import aws

    items: list[dict[str, Any]] = []
    kw: dict[str, Any] = {}
    while True:
        r = aws.dynamodb().scan(
            TableName=ddb.table(),
            FilterExpression="#t = :h",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues=ddb.values({":h": kind}),
            **kw,
        )
        items += [ddb.from_item(i) for i in r["Items"]]
        if "LastEvaluatedKey" not in r:
            return items
        kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}


class EveryOtherCallFails:
    """botocore hooks on the events client: every other PutEvents call fails, alternately
    (a) refused: all entries come back failed and nothing reaches the bus (what a throttled
    EventBridge answers), and (b) lost: the bus takes the events but the answer never comes
    back (a timeout, or the function dying right after the call)."""

    def __init__(self) -> None:
        self.calls = 0
        self.refused = 0
        self.lost = 0

    def before(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        self.calls += 1
        if self.calls % 4 != 2:
            return None  # goes through to the bus
        self.refused += 1
        n = len(json.loads(params["body"])["Entries"])  # the serialised request (JSON protocol)
        return (
            SimpleNamespace(status_code=200, headers={}),  # EventBridge answers 200 with failed entries
            {
                "FailedEntryCount": n,
                "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "injected"}] * n,
            },
        )

    def after(self, **_: Any) -> None:
        if self.calls % 4 == 0:
            self.lost += 1
            raise ConnectionError("read timeout after the bus accepted the events")

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call.events.PutEvents", self.before)
        client.meta.events.register("after-call.events.PutEvents", self.after)

    def remove(self, client: Any) -> None:
        client.meta.events.unregister("before-call.events.PutEvents", self.before)
        client.meta.events.unregister("after-call.events.PutEvents", self.after)


def test_every_event_delivered_exactly_once_by_id_when_every_other_call_fails(
    scenario: dict[str, str], sink: str
) -> None:
    """GIVEN orders that went through every catalogued change AND a bus whose PutEvents fails
    every other call WHEN the stream is fed to the publisher like Lambda does (retrying from
    the first reported failure) THEN every event reaches the rule's SQS target, each id at
    least once, duplicates carry the same id and are counted, and every body fits its schema."""
    from cancelflow import aws

    from functions.events.publisher import handler

    expected = _expected_ids()
    assert set(expected.values()) >= {
        "order.created",
        "order.paid",
        "order.cancelled",
        "order.expired",
        "cancellation.requested",
        "refund.overdue",
        "refund.succeeded",
        "payment.late_refunded",
        "review.overdue",
        "customer.notified",
    }
    flaky = EveryOtherCallFails()
    flaky.install(aws.client("events"))
    try:
        stream = Stream(batch_size=7)
        stream.drain(handler)
    finally:
        flaky.remove(aws.client("events"))

    bodies = received(sink)
    ids = Counter(b["detail"]["event_id"] for b in bodies)
    assert set(ids) == set(expected)  # nothing lost, nothing invented
    duplicates = sum(ids.values()) - len(ids)
    assert flaky.refused >= 2 and flaky.lost >= 2  # both kinds of failure happened
    assert duplicates > 0  # a lost answer means the same events again: counted, same ids
    assert len(bodies) == len(expected) + duplicates  # every extra delivery is a same-id duplicate
    for b in bodies:
        assert b["detail-type"] == expected[b["detail"]["event_id"]]
        jsonschema.validate(b, event_schema(b["detail-type"]))
    # every notice stored once, however often its record came again
    stored = [i["notice_id"] for i in _items("notice")]
    assert sorted(stored) == sorted(k for k, v in expected.items() if v == "customer.notified")


def _sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / name).read_text()))


def test_sample_batch_publishes_only_catalogued_history_inserts(aws: dict[str, str]) -> None:
    """GIVEN the sample stream batch (a history INSERT of each kind, an order MODIFY, an
    entry that is not published) WHEN published THEN only the catalogued inserts are sent, ten
    a call at most, and every event fits its schema."""
    calls: list[list[dict[str, Any]]] = []

    def put(entries: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append(entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e{i}"} for i in range(len(entries))]}

    event = _sample("stream-outbox-batch.json")
    result = publish(event["Records"], put)

    sent = [e for c in calls for e in c]
    assert result.retry == [] and result.published == len(sent) and result.skipped == 2
    assert all(len(c) <= 10 for c in calls)
    for e in sent:
        assert e["Source"] == "cancelflow" and e["EventBusName"] == "cancelflow"
        jsonschema.validate(
            {"detail-type": e["DetailType"], "source": e["Source"], "detail": json.loads(e["Detail"])},
            event_schema(e["DetailType"]),
        )
    assert {e["DetailType"] for e in sent} == {"order.expired", "refund.overdue"}


def _records(n: int) -> list[dict[str, Any]]:
    base = _sample("stream-outbox-batch.json")["Records"][0]
    out = []
    for i in range(n):
        r = json.loads(json.dumps(base))
        r["dynamodb"]["SequenceNumber"] = str(1000 + i)
        r["dynamodb"]["NewImage"]["entry_id"] = {"S": f"o_x:HIST#{i}"}
        out.append(r)
    return out


def test_failed_entries_and_everything_after_them_are_retried(aws: dict[str, str]) -> None:
    """GIVEN 25 events WHEN the second call fails its 4th entry THEN 14 are confirmed, the
    4th entry of that call and all later records are reported, and the third call is never
    made (the shard resumes from the first failure anyway)."""
    calls: list[int] = []

    def put(entries: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append(len(entries))
        res: list[dict[str, Any]] = [{"EventId": "ok"} for _ in entries]
        if len(calls) == 2:
            res[3] = {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
        return {"FailedEntryCount": 1 if len(calls) == 2 else 0, "Entries": res}

    result = publish(_records(25), put)

    assert calls == [10, 10]
    assert result.published == 19 and result.failed == 6
    assert result.retry[0] == "1013" and "1012" not in result.retry and result.retry[-1] == "1024"
    assert result.response()["batchItemFailures"][0] == {"itemIdentifier": "1013"}


def test_a_call_that_raises_leaves_its_records_to_retry(aws: dict[str, str]) -> None:
    """GIVEN the bus call raising (after botocore's retries) WHEN publishing THEN nothing is
    confirmed and every record is reported."""

    def put(entries: list[dict[str, Any]]) -> dict[str, Any]:
        raise ConnectionError("bus unreachable")

    result = publish(_records(3), put)
    assert result.published == 0 and result.retry == ["1000", "1001", "1002"]


def test_an_entry_that_breaks_its_schema_is_reported_not_dropped(aws: dict[str, str]) -> None:
    """GIVEN a history entry missing a field its event requires WHEN publishing THEN the
    events before it are sent and it (and what follows) is reported for retry / the DLQ."""
    recs = _records(3)
    del recs[1]["dynamodb"]["NewImage"]["actor_id"]
    sent: list[str] = []

    def put(entries: list[dict[str, Any]]) -> dict[str, Any]:
        sent.extend(json.loads(e["Detail"])["event_id"] for e in entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "ok"} for _ in entries]}

    result = publish(recs, put)
    assert sent == ["o_x:HIST#0"] and result.invalid == 1 and result.retry == ["1001", "1002"]


def test_handler_reports_failures_and_emits_metrics(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a bus that refuses every entry WHEN the handler runs THEN the response lists the
    records and the EMF output counts events_failed."""
    from cancelflow.events import publisher as logic

    from functions.events import publisher

    def refuse(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": len(entries), "Entries": [{"ErrorCode": "x"}] * len(entries)}

    monkeypatch.setattr(logic, "_default_put", lambda: refuse)
    out = publisher.handler(_sample("stream-outbox-batch.json"), None)

    assert len(out["batchItemFailures"]) >= 1
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert any(m.get("events_failed") for m in emf) and any("events_published" in m for m in emf)
