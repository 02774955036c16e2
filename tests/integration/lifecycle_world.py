"""Helpers for the lifecycle tests on moto: a whole-table snapshot (tests only: production
never scans) and the stock/money invariants of docs/domain.md, "Invariants"."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from cancelflow import aws
from cancelflow.errors import DomainError
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


def race(pairs: list[tuple[Callable[[], object], Callable[[], object]]]) -> list[tuple[object, object]]:
    """Run each pair's two calls at the same moment (one barrier per 20 pairs, 40 threads);
    (first result, second result) per pair, a refusal as its DomainError (the race suites)."""
    results: list[tuple[object, object]] = []
    for start in range(0, len(pairs), 20):
        results += _race_chunk(pairs[start : start + 20])
    return results


def _race_chunk(
    chunk: list[tuple[Callable[[], object], Callable[[], object]]],
) -> list[tuple[object, object]]:
    barrier = threading.Barrier(2 * len(chunk))
    out: dict[tuple[int, int], object] = {}

    def run(i: int, side: int, fn: Callable[[], object]) -> None:
        barrier.wait(timeout=120)
        try:
            out[(i, side)] = fn()
        except DomainError as e:
            out[(i, side)] = e

    threads = [
        threading.Thread(target=run, args=(i, side, fn))
        for i, pair in enumerate(chunk)
        for side, fn in enumerate(pair)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [(out[(i, 0)], out[(i, 1)]) for i in range(len(chunk))]
