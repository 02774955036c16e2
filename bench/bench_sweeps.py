"""Sweep cost: what the expiry sweep reads, next to a full scan of the same table, same run;
then what the completion sweep reads on that table with delivered orders added.

50,000 unpaid orders (``SWEEP_ORDERS``) of which 50 (``SWEEP_DUE``) are past their payment
deadline, written with BatchWriteItem of prepared items, on moto in-process. Prints, for the
expiry sweep and for a full scan that looks for the same orders (the naive sweep): DynamoDB
requests, items read, and the ratio. Items read is what DynamoDB charges read capacity for
(a Scan reads every item whatever its filter keeps). Wall times are moto's, not DynamoDB's:
moto answers every index query by walking the whole table, so the sweep's wall time here
grows with the table although its reads do not.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import moto_env

ORDERS = int(os.environ.get("SWEEP_ORDERS", "50000"))
DUE = int(os.environ.get("SWEEP_DUE", "50"))
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Reads:
    """Every DynamoDB request through the shared client, and the items each read returned
    (Query/Scan: ScannedCount, what read capacity is charged for)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name in ("Query", "Scan"):
            self.items[model.name] += int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            self.items[model.name] += 1 if "Item" in parsed else 0

    def reset(self) -> None:
        self.calls.clear()
        self.items.clear()


def _full_scan(now: datetime) -> tuple[int, int]:
    """The naive sweep: scan everything, keep unpaid orders past their deadline."""
    from cancelflow import aws
    from cancelflow.clock import iso
    from cancelflow.store import ddb

    found, kw = 0, {}  # type: ignore[var-annotated]
    while True:
        r = aws.dynamodb().scan(
            TableName=ddb.table(),
            FilterExpression="#s = :p AND payment_deadline <= :now",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=ddb.values({":p": "pending_payment", ":now": iso(now)}),
            **kw,
        )
        found += r["Count"]
        if "LastEvaluatedKey" not in r:
            return found, 0
        kw = {"ExclusiveStartKey": r["LastEvaluatedKey"]}


@contextmanager
def _cheap_item_writes() -> Iterator[None]:
    """moto re-sums an item's size on every attribute it sets (quadratic; about 4 ms per
    order here). While the bench writes its small prepared items that check is skipped; it
    changes nothing that is measured (requests and items read by the sweep and the scan)."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]


def main() -> None:
    moto_env()
    os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "cancelflow"
    from moto import mock_aws

    from local.embedded_aws import faithful_dynamodb

    with mock_aws(), faithful_dynamodb():
        from cancelflow import aws
        from cancelflow.settings import get_settings
        from cancelflow.sweeps.expiry import expire_due

        from local.provision import apply, provision
        from tests.schedules.factory import TIMEOUT, unpaid_orders

        apply(provision())
        t0 = time.perf_counter()
        # a client of its own for loading: botocore's parameter validation off (items are ours)
        import boto3
        from botocore.config import Config

        loader = boto3.client("dynamodb", config=Config(parameter_validation=False))
        with _cheap_item_writes():
            unpaid_orders("due", DUE, NOW - TIMEOUT - timedelta(minutes=1), loader)
            unpaid_orders("open", ORDERS - DUE, NOW, loader)
        write_s = time.perf_counter() - t0
        reads = Reads()
        aws.dynamodb().meta.events.register("after-call.dynamodb", reads)

        t0 = time.perf_counter()
        found, _ = _full_scan(NOW)
        scan_s = time.perf_counter() - t0
        scan_calls, scan_items = reads.calls["Scan"], reads.items["Scan"]
        reads.reset()

        t0 = time.perf_counter()
        tally = expire_due(NOW)
        sweep_s = time.perf_counter() - t0
        q_calls, q_items = reads.calls["Query"], reads.items["Query"]
        all_calls = sum(reads.calls.values())
        shards = get_settings().due_shards

        print(f"  table: {ORDERS:,} unpaid orders, {DUE} due; written in {write_s:.1f} s (BatchWriteItem)")
        print(f"  {'':34}{'requests':>10}{'items read':>12}{'found/done':>12}{'wall s':>9}")
        print(f"  {'full scan (naive sweep)':34}{scan_calls:>10}{scan_items:>12,}{found:>12}{scan_s:>9.1f}")
        print(f"  {'expiry sweep: index reads':34}{q_calls:>10}{q_items:>12,}{tally.done:>12}{sweep_s:>9.1f}")
        print(f"  {'expiry sweep: all requests':34}{all_calls:>10}{'':>12}{'':>12}")
        print(f"    ({dict(reads.calls)}; {shards} due shards, budget {get_settings().sweep_max_items})")
        ratio_items = scan_items / max(1, q_items)
        per_due = q_items / max(1, DUE)
        print(
            f"  items read, scan / sweep: {ratio_items:,.0f}x  (the sweep reads {per_due:.2f} per due order)"
        )
        print(f"  index requests vs scan requests: {q_calls} / {scan_calls}")
        assert tally.done == DUE == found, (tally.done, DUE, found)
        _completion_row(loader, reads)


def _completion_row(loader: Any, reads: Reads) -> None:
    """The completion sweep on the same table, plus delivered orders: ``DUE`` past their
    confirmation window and ``ORDERS // 5`` inside it. Its reads should be about the due ones
    (the expiry sweep's orders, all handled now, are in another index partition)."""
    from cancelflow.sweeps.completion import complete_due

    from tests.schedules.factory import delivered_orders

    window = timedelta(hours=24)  # the top-up's confirmation window (the factory's orders)
    waiting = ORDERS // 5
    with _cheap_item_writes():
        delivered_orders("cdue", DUE, NOW - window - timedelta(minutes=1), loader)
        delivered_orders("cwait", waiting, NOW, loader)
    reads.reset()
    t0 = time.perf_counter()
    tally = complete_due(NOW)
    sweep_s = time.perf_counter() - t0
    q_calls, q_items = reads.calls["Query"], reads.items["Query"]
    print(f"  table + {DUE + waiting:,} delivered orders, {DUE} past their confirmation window")
    print(f"  {'completion sweep: index reads':34}{q_calls:>10}{q_items:>12,}{tally.done:>12}{sweep_s:>9.1f}")
    print(f"  {'completion sweep: all requests':34}{sum(reads.calls.values()):>10}")
    print(f"  completion sweep, items read / due: {q_items / max(1, DUE):.2f}")
    assert tally.done == DUE, (tally.done, DUE)


if __name__ == "__main__":
    main()
