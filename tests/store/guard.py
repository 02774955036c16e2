"""What every guard test needs: an item exactly as stored, a way to put an item into a state
the code would not write itself, and the proof that a refused write left that item (and the
rest of the table) exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cancelflow import aws
from cancelflow.store import ddb

Key = tuple[str, str]


def stored(key: Key) -> dict[str, Any] | None:
    """The item in DynamoDB's wire form (type-tagged attribute values), read consistently: two
    equal results are the same bytes on the table."""
    r = aws.dynamodb().get_item(TableName=ddb.table(), Key=ddb.key(*key), ConsistentRead=True)
    item: dict[str, Any] | None = r.get("Item")
    return item


def table() -> list[str]:
    """Every item of the table in wire form, as sorted JSON (tests only: production never scans)."""
    items: list[dict[str, Any]] = []
    kw: dict[str, Any] = {}
    while True:
        r = aws.dynamodb().scan(TableName=ddb.table(), ConsistentRead=True, **kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            return sorted(json.dumps(i, sort_keys=True) for i in items)
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


@contextmanager
def unchanged(*keys: Key) -> Iterator[None]:
    """The items named are byte for byte what they were, and nothing else was written either
    (no history entry, refund, counter or key). Use it outside ``pytest.raises``."""
    before = {k: stored(k) for k in keys}
    assert all(before.values()), f"the guarded item must exist first: {before}"
    everything = table()
    yield
    assert {k: stored(k) for k in keys} == before
    assert table() == everything


def put(item: dict[str, Any]) -> None:
    """Write ``item`` as it is: the forbidden state a test needs (a race's other side, or a
    state that only a future bug could produce)."""
    aws.dynamodb().put_item(TableName=ddb.table(), Item=ddb.to_item(item))


def item(key: Key) -> ddb.Item:
    got = ddb.get(*key)
    assert got is not None, key
    return got


def refused(ops: list[dict[str, Any]]) -> list[str]:
    """Send ``ops`` as one transaction, expect it cancelled; the reason per op."""
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed as e:
        return e.reasons
    raise AssertionError("the write was accepted")
