"""Helpers for the lifecycle tests on moto: a whole-table snapshot (tests only: production
never scans) and the stock/money invariants of DOMAIN.md."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cancelflow import aws
from cancelflow.store import ddb


def scan_all() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kw: dict[str, Any] = {}
    while True:
        r = aws.dynamodb().scan(TableName=ddb.table(), **kw)
        items += [ddb.from_item(i) for i in r["Items"]]
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def snapshot() -> list[str]:
    """Every item of the table as sorted JSON: equal snapshots mean nothing changed."""
    return sorted(json.dumps(i, sort_keys=True, default=str) for i in scan_all())


def stock_counts(items: list[dict[str, Any]], product_id: str) -> Counter[str]:
    return Counter(
        i["status"] for i in items if i.get("type") == "stock_key" and i["product_id"] == product_id
    )


def check_invariants(items: list[dict[str, Any]]) -> None:
    """DOMAIN.md, "Invariants": checked on a full snapshot."""
    orders = {i["order_id"]: i for i in items if i.get("type") == "order"}
    keys = [i for i in items if i.get("type") == "stock_key"]
    for o in orders.values():
        # never both delivered and cancelled
        assert not (o["status"] == "cancelled" and "delivered_at" in o), o
        # money: refunded <= paid
        assert 0 <= o.get("refunded_amount", 0) <= o.get("paid_amount", 0), o
    for k in keys:
        # a key is exactly one of available / reserved / delivered, and indexed iff available
        assert k["status"] in ("available", "reserved", "delivered"), k
        assert ("stock_pk" in k) == (k["status"] == "available"), k
        if k["status"] == "available":
            assert "order_id" not in k, k
            continue
        owner = orders.get(k["order_id"])
        assert owner is not None, k
        assert k["key_id"] in owner["key_ids"], k
        assert owner["status"] != "cancelled", (k, owner)  # a cancelled order's keys are back
        assert (k["status"] == "delivered") == (owner["status"] in ("delivered", "completed")), (k, owner)
    held: Counter[str] = Counter()
    for o in orders.values():
        held.update(o.get("key_ids", []) if o["status"] != "cancelled" else [])
    assert all(n == 1 for n in held.values()), "a key belongs to two live orders"
    assert sum(held.values()) == sum(1 for k in keys if k["status"] != "available")


@contextmanager
def touched_item_rollback() -> Iterator[None]:
    """Make moto's TransactWriteItems cost what the transaction touches, not the table size.

    moto 5.2 snapshots every table of a transaction with ``copy.deepcopy`` (streams included)
    before executing it, to restore on failure: with a thousand items that is most of a test's
    time and gigabytes of memory. Here the whole-table copy becomes a no-op and the items the
    transaction names are saved and restored instead, which is the same all-or-nothing result.
    """
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    real = DynamoDBBackend.transact_write_items

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for it in transact_items:
            op = next(iter(it.values()))
            table = self.get_table(op["TableName"])
            src = op.get("Key") or op.get("Item") or {}
            key = {a: src[a] for a in (table.hash_key_attr, table.range_key_attr) if a and a in src}
            cur = self.get_item(op["TableName"], key)
            saved.append((op["TableName"], key, copy.deepcopy(cur.to_json()["Attributes"]) if cur else None))
        try:
            real(self, transact_items)
        except TransactionCanceledException:
            for name, key, attrs in reversed(saved):
                if attrs is None:
                    self.delete_item(name, key)
                else:
                    self.put_item(name, attrs)
            raise

    Table.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = real  # type: ignore[method-assign]
        del Table.__deepcopy__  # type: ignore[attr-defined]
