"""The runtime's TransactWriteItems (local/embedded_aws.py) keeps DynamoDB's semantics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend

from local.embedded_aws import _transact_write_items, faithful_dynamodb
from tests.conftest import moto_stack

T = "cancelflow"


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """moto as it is (the other tests' ``aws`` is already patched): the replacements are
    compared with moto's own behaviour here."""
    with moto_stack(faithful=False) as env:
        yield env


@pytest.fixture
def ddb(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", _transact_write_items)
    yield boto3.client("dynamodb", region_name="ap-east-1")


def _put(pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": T, "Item": {"pk": {"S": pk}, "sk": {"S": "X"}, **extra}}}


def _get(ddb: Any, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = ddb.get_item(TableName=T, Key={"pk": {"S": pk}, "sk": {"S": "X"}}).get(
        "Item"
    )
    return item


def _stream_len(aws: dict[str, str]) -> int:
    cfg = Config(account_id_endpoint_mode="disabled")
    ddb = boto3.client("dynamodb", region_name="ap-east-1", config=cfg)
    st = boto3.client("dynamodbstreams", region_name="ap-east-1", config=cfg)
    arn = ddb.describe_table(TableName=T)["Table"]["LatestStreamArn"]
    shard = st.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = st.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return len(st.get_records(ShardIterator=it)["Records"])


def test_a_failed_condition_writes_nothing_and_reports_each_item(ddb: Any, aws: dict[str, str]) -> None:
    """GIVEN an existing item WHEN a transaction puts a new item and conditionally updates the
    existing one with a condition that fails THEN nothing is written, the reasons say which
    item failed, and ALL_OLD returns the item found."""
    ddb.put_item(TableName=T, Item={"pk": {"S": "a"}, "sk": {"S": "X"}, "v": {"N": "1"}})
    before = _stream_len(aws)
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(
            TransactItems=[
                _put("b"),
                {
                    "Update": {
                        "TableName": T,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "X"}},
                        "UpdateExpression": "SET v = :n",
                        "ConditionExpression": "v = :o",
                        "ExpressionAttributeValues": {":n": {"N": "3"}, ":o": {"N": "2"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = e.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["v"] == {"N": "1"}
    assert _get(ddb, "b") is None and _get(ddb, "a")["v"] == {"N": "1"}  # type: ignore[index]
    assert _stream_len(aws) == before


def test_a_successful_transaction_applies_every_write(ddb: Any, aws: dict[str, str]) -> None:
    """GIVEN conditions that hold WHEN the transaction runs THEN every write lands, in the stream too."""
    before = _stream_len(aws)
    ddb.transact_write_items(
        TransactItems=[
            {**_put("c"), "Put": {**_put("c")["Put"], "ConditionExpression": "attribute_not_exists(pk)"}},
            _put("d", n={"N": "5"}),
        ]
    )
    assert _get(ddb, "c") is not None and _get(ddb, "d")["n"] == {"N": "5"}  # type: ignore[index]
    assert _stream_len(aws) == before + 2


def test_a_write_failing_half_way_is_undone(ddb: Any, aws: dict[str, str]) -> None:
    """GIVEN a transaction whose second write is invalid (ADD to a string)
    WHEN it runs THEN the first write is undone, in the table and in the stream."""
    ddb.put_item(TableName=T, Item={"pk": {"S": "e"}, "sk": {"S": "X"}, "s": {"S": "text"}})
    before = _stream_len(aws)
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                _put("f"),
                {
                    "Update": {
                        "TableName": T,
                        "Key": {"pk": {"S": "e"}, "sk": {"S": "X"}},
                        "UpdateExpression": "ADD s :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    assert _get(ddb, "f") is None and _get(ddb, "e")["s"] == {"S": "text"}  # type: ignore[index]
    assert _stream_len(aws) == before


def test_the_same_item_twice_is_refused(ddb: Any) -> None:
    """GIVEN one item named twice in a transaction WHEN it runs THEN ValidationException, nothing written."""
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[_put("g"), _put("g")])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert _get(ddb, "g") is None


def _queries(ddb: Any) -> list[Any]:
    """Table and index queries, with ranges, both directions and pages."""
    out: list[Any] = []

    def pages(**kw: Any) -> list[Any]:
        got, start = [], None
        while True:
            r = ddb.query(TableName=T, **kw, **({"ExclusiveStartKey": start} if start else {}))
            got.append(r["Items"])
            start = r.get("LastEvaluatedKey")
            if not start:
                return got

    p1, c2 = {":p": {"S": "P#1"}}, {":c": {"S": "C#2"}}
    due = {":d": {"S": "D#1"}, ":t": {"S": "2026-01-15"}}
    for forward in (True, False):
        out.append(pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues=p1,
                         ScanIndexForward=forward, Limit=3))  # fmt: skip
        out.append(pages(KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                         ExpressionAttributeValues={**p1, ":s": {"S": "K#0"}},
                         ScanIndexForward=forward))  # fmt: skip
        out.append(pages(IndexName="by_customer", KeyConditionExpression="gsi_cust_pk = :c",
                         ExpressionAttributeValues=c2, ScanIndexForward=forward, Limit=4))  # fmt: skip
        out.append(pages(IndexName="by_due", KeyConditionExpression="due_pk = :d AND due_at <= :t",
                         ExpressionAttributeValues=due, ScanIndexForward=forward, Limit=2))  # fmt: skip
    out.append(pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P#none"}}))
    return out


def test_queries_answer_the_same_with_candidate_items(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN items over several partitions and index values WHEN the same queries run on moto's
    query and on the runtime's (candidates instead of the sorted table) THEN every page is equal."""
    from moto.dynamodb.models.table import Table

    from local.embedded_aws import _fast_query

    ddb = boto3.client("dynamodb", region_name="ap-east-1")
    for i in range(40):
        item = {"pk": {"S": f"P#{i % 3}"}, "sk": {"S": f"K#{i:03d}"}, "gsi_cust_pk": {"S": f"C#{i % 4}"},
                "gsi_cust_sk": {"S": f"2026-01-{i % 28 + 1:02d}#{i}"}}  # fmt: skip
        if i % 2:
            item |= {"due_pk": {"S": f"D#{i % 3}"}, "due_at": {"S": f"2026-01-{i % 28 + 1:02d}"}}
        ddb.put_item(TableName=T, Item=item)
    before = _queries(ddb)
    monkeypatch.setattr(Table, "query", _fast_query(Table.query))
    assert _queries(ddb) == before
    assert sum(len(p) for p in before[0]) == 13 and before[-1] == [[]]


def test_the_in_process_patch_is_undone_after_its_block() -> None:
    """GIVEN moto's DynamoDB backend WHEN a block runs under faithful_dynamodb (twice nested)
    THEN inside, transactions are the lean ones and queries take candidates; after it, moto's own."""
    from moto.dynamodb.models.table import Table

    own_tx, own_query, own_put = DynamoDBBackend.transact_write_items, Table.query, DynamoDBBackend.put_item
    with faithful_dynamodb(), faithful_dynamodb():
        assert getattr(Table.query, "candidates_first", False)
        assert Table.query is not own_query and DynamoDBBackend.put_item is not own_put
        assert DynamoDBBackend.transact_write_items is not own_tx
    assert (DynamoDBBackend.transact_write_items, Table.query, DynamoDBBackend.put_item) == (
        own_tx,
        own_query,
        own_put,
    )


def test_items_handed_out_in_process_are_copies_taken_under_the_lock() -> None:
    """GIVEN moto in-process under faithful_dynamodb WHEN the backend hands an item out (a read,
    a write's new image) and another request then updates the stored item THEN what was handed
    out is unchanged. moto renders answers after the backend returned, outside its lock: CI saw a
    BatchGetItem describing a risk counter fail with "dictionary changed size during iteration"
    while a concurrent write added an attribute to that very item."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    with moto_stack():
        ddb = boto3.client("dynamodb", region_name="ap-east-1")
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["ap-east-1"]
        key = {"pk": {"S": "K"}, "sk": {"S": "X"}}
        put = backend.put_item(T, {**key, "a": {"N": "1"}})
        read = backend.get_item(T, key)
        updated = backend.update_item(T, key, update_expression="SET b = :v",
                                      expression_attribute_names=None,
                                      expression_attribute_values={":v": {"N": "2"}})  # fmt: skip
        ddb.update_item(TableName=T, Key=key, UpdateExpression="SET c = :v REMOVE a",
                        ExpressionAttributeValues={":v": {"N": "3"}})  # fmt: skip
        assert sorted(put.attrs) == sorted(read.attrs) == ["a", "pk", "sk"]
        assert sorted(updated.attrs) == ["a", "b", "pk", "sk"]
        assert sorted(_get(ddb, "K") or {}) == ["b", "c", "pk", "sk"]
