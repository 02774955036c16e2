"""A customer's inbox (``cancelflow.inbox``): one partition per customer, one item per notice,
newest first by its id. Written only by the stream publisher (conditionally, so a record
delivered twice writes one notice), read and marked read by the customer's routes."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.clock import iso
from cancelflow.inbox.notices import Notice
from cancelflow.store import codec, ddb, keys

_SK = "NOTICE#"
inbox_pk = keys.inbox_pk


def _item(n: Notice) -> dict[str, object]:
    # unset facts are left out (an unread notice has no read_at at all: the count filters on it)
    attrs = codec.dump(msgspec.to_builtins(n, builtin_types=(datetime,)), exclude_none=True)
    return {"pk": inbox_pk(n.customer_id), "sk": _SK + n.notice_id, "type": "notice", **attrs}


def _of(item: ddb.Item) -> Notice:
    return codec.decode(Notice, item)


def customer_of(order_id: str) -> str | None:
    """Whose order it is (the notice's reader); None for an order that is not stored."""
    item = ddb.get(keys.order_pk(order_id), keys.ORDER)
    return str(item["customer_id"]) if item else None


def put(n: Notice) -> bool:
    """Store ``n`` once: False when it was there already (a stream record delivered again)."""
    from cancelflow import aws

    try:
        aws.dynamodb().put_item(
            TableName=ddb.table(), Item=ddb.to_item(_item(n)), ConditionExpression="attribute_not_exists(pk)"
        )
    except Exception as e:
        if ddb.is_conditional_failure(e):
            return False
        raise  # anything else: the stream record is retried
    return True


def scope(customer_id: str) -> codec.CursorScope:
    """What a customer's inbox cursors are valid for: their own partition, nobody else's."""
    return codec.CursorScope("inbox", customer_id, "", (inbox_pk(customer_id),))


def page(customer_id: str, limit: int, cursor: str | None) -> tuple[list[Notice], str | None]:
    """Newest first, from ``cursor`` (VALIDATION_FAILED when it is not this inbox's)."""
    s = scope(customer_id)
    items, last = ddb.query(
        None,
        "pk = :pk AND begins_with(sk, :n)",
        {":pk": inbox_pk(customer_id), ":n": _SK},
        limit=limit,
        forward=False,
        start=codec.decode_cursor(s, cursor).start,
    )
    return [_of(i) for i in items], codec.encode_cursor(s, last) if last else None


def unread(customer_id: str) -> int:
    """How many notices the customer has not marked read (one COUNT query; pages only past 1 MB)."""
    return ddb.count(
        None,
        "pk = :pk AND begins_with(sk, :n)",
        {":pk": inbox_pk(customer_id), ":n": _SK},
        filter_expression="attribute_not_exists(read_at)",
    )


def mark_read(customer_id: str, notice_id: str, now: datetime) -> Notice | None:
    """The notice, read (at the first time it was marked: marking again changes nothing); None
    when the customer has no such notice."""
    item = ddb.update(
        {
            "Key": ddb.key(inbox_pk(customer_id), _SK + notice_id),
            "UpdateExpression": "SET read_at = if_not_exists(read_at, :now)",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": ddb.values({":now": iso(now)}),
        }
    )
    return _of(item) if item else None
