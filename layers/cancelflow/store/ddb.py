"""Thin helpers over the low-level DynamoDB client: (de)serialisation, transactions, errors.

(De)serialisation is ``store/wire.py``: boto3's wire form without importing boto3, with this
project's choices on top: a ``None`` inside a map is left out (as at an item's top level), and a
whole number reads back as ``int`` (a non-integral one as ``Decimal``), so stored fen and counts
compare and add as ints. A float is refused: store fen or a Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cancelflow import aws
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store.codec import plain
from cancelflow.store.wire import deserialize as _de
from cancelflow.store.wire import serialize as _ser

Item = dict[str, Any]


def update_expression(
    sets: Mapping[str, Any], remove: Iterable[str] = ()
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``SET #a0 = :a0, … REMOVE #r0, …`` with its names and values (stored forms: ``plain``).
    Every attribute goes through a placeholder, so reserved words (status, version) are safe."""
    names = {f"#a{i}": k for i, k in enumerate(sets)}
    vals = {f":a{i}": plain(v) for i, v in enumerate(sets.values())}
    expr = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(sets)))
    gone = {f"#r{i}": k for i, k in enumerate(remove)}
    if gone:
        expr += " REMOVE " + ", ".join(gone)
    return expr, names | gone, vals


def to_item(d: Mapping[str, Any]) -> dict[str, Any]:
    """A Python dict as a DynamoDB item; ``None`` values are left out."""
    return {k: _ser(v) for k, v in d.items() if v is not None}


def values(d: Mapping[str, Any]) -> dict[str, Any]:
    """Expression attribute values (``:name`` keys)."""
    return {k: _ser(v) for k, v in d.items()}


def from_item(item: Mapping[str, Any]) -> Item:
    return {k: _de(v) for k, v in item.items()}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def table() -> str:
    return get_settings().table_name


def get(pk: str, sk: str, consistent: bool = True) -> Item | None:
    r = aws.dynamodb().get_item(TableName=table(), Key=key(pk, sk), ConsistentRead=consistent)
    return from_item(r["Item"]) if "Item" in r else None


def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
    """Up to 100 keys in one request (retrying what DynamoDB leaves unprocessed)."""
    out: dict[tuple[str, str], Item] = {}
    request: dict[str, Any] = {table(): {"Keys": [key(pk, sk) for pk, sk in keys], "ConsistentRead": True}}
    while request:
        r = aws.dynamodb().batch_get_item(RequestItems=request)
        for it in r["Responses"].get(table(), []):
            d = from_item(it)
            out[(d["pk"], d["sk"])] = d
        request = r.get("UnprocessedKeys") or {}
    return out


def query(
    index: str | None,
    key_condition: str,
    vals: Mapping[str, Any],
    *,
    names: Mapping[str, str] | None = None,
    limit: int | None = None,
    forward: bool = True,
    start: Mapping[str, Any] | None = None,
    filter_expression: str | None = None,
) -> tuple[list[Item], dict[str, Any] | None]:
    """One page of a query: items and the raw ``LastEvaluatedKey`` (or None)."""
    kw: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": values(vals),
        "ScanIndexForward": forward,
    }
    if index:
        kw["IndexName"] = index
    if names:
        kw["ExpressionAttributeNames"] = dict(names)
    if limit:
        kw["Limit"] = limit
    if start:
        kw["ExclusiveStartKey"] = dict(start)
    if filter_expression:
        kw["FilterExpression"] = filter_expression
    r = aws.dynamodb().query(**kw)
    return [from_item(i) for i in r.get("Items", [])], r.get("LastEvaluatedKey")


def count(
    index: str | None, key_condition: str, vals: Mapping[str, Any], filter_expression: str | None = None
) -> int:
    """How many items a key condition (and filter) matches (``Select=COUNT``: no items come
    back; pages only past 1 MB of matched keys)."""
    kw: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": values(vals),
        "Select": "COUNT",
    }
    if filter_expression:
        kw["FilterExpression"] = filter_expression
    if index:
        kw["IndexName"] = index
    total = 0
    while True:
        r = aws.dynamodb().query(**kw)
        total += int(r.get("Count", 0))
        if not r.get("LastEvaluatedKey"):
            return total
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def query_all(index: str | None, key_condition: str, vals: Mapping[str, Any], **kw: Any) -> Iterator[Item]:
    start = None
    while True:
        items, start = query(index, key_condition, vals, start=start, **kw)
        yield from items
        if not start:
            return


def partition(pk: str, sk_prefix: str) -> list[Item]:
    """Every item of one partition whose sort key starts with ``sk_prefix`` (all pages)."""
    return list(query_all(None, "pk = :pk AND begins_with(sk, :prefix)", {":pk": pk, ":prefix": sk_prefix}))


# Cancellation reasons that mean "someone else changed it first" (TransactionConflict: another
# transaction held one of the items), as opposed to a malformed request.
LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class TransactionFailed(Exception):
    """A transaction was cancelled; ``reasons`` has one code per item ("None" for those fine).

    ``items`` is aligned with ``reasons``: item ``i`` as stored (decoded like any read) where
    its condition failed and its write asked for ``ReturnValuesOnConditionCheckFailure:
    ALL_OLD``, else None (also when there is no such item)."""

    def __init__(self, reasons: list[str], items: list[Item | None] | None = None) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons
        self.items: list[Item | None] = items if items is not None else [None] * len(reasons)


def transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems; each entry is ``{"Put"|"Update"|"ConditionCheck"|"Delete": {...}}``
    without TableName (filled in here)."""
    from botocore.exceptions import ClientError

    for it in items:
        for op in it.values():
            op.setdefault("TableName", table())
    try:
        aws.dynamodb().transact_write_items(TransactItems=items)
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        if code == "TransactionCanceledException":
            cancelled = e.response.get("CancellationReasons", [])
            reasons = [r.get("Code", "None") for r in cancelled]
            olds = [from_item(r["Item"]) if r.get("Item") else None for r in cancelled]
            raise TransactionFailed(reasons, olds) from e
        if code in ("ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"):
            raise DomainError(ErrorCode.RATE_LIMITED) from e
        raise


def update(op: Mapping[str, Any]) -> Item | None:
    """One conditional UpdateItem, shaped like a transaction's ``Update`` (Key, expressions):
    the item as it left it, or None when its condition failed (someone else was first)."""
    try:
        r = aws.dynamodb().update_item(TableName=table(), ReturnValues="ALL_NEW", **op)
    except Exception as e:
        if is_conditional_failure(e):
            return None
        raise
    return from_item(r["Attributes"])


def is_conditional_failure(e: Exception) -> bool:
    from botocore.exceptions import ClientError

    return (
        isinstance(e, ClientError)
        and e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
    )
