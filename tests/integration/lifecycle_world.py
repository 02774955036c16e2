"""Helpers for the lifecycle tests on moto: a whole-table snapshot (tests only: production
never scans) and the stock/money invariants of DOMAIN.md."""

from __future__ import annotations

import json
from collections import Counter
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
