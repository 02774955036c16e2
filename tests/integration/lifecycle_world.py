"""Helpers for the lifecycle tests on moto: a whole-table snapshot (tests only: production
never scans) and the stock/money invariants of docs/domain.md, "Invariants"."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cancelflow import aws
from cancelflow.store import ddb

from local import invariants


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
    """(docs/domain.md, "Invariants") on a full snapshot (local.invariants: the one checker)."""
    violations = {name: found for name, found in invariants.check(items).items() if found}
    assert not violations, violations
