"""Lifecycle operations: AWS requests per operation against the floor, and the import cost of
the shared package over boto3 (cold start). ``make bench ONLY=lifecycle``.

Requests are counted with botocore's ``before-call`` event on the cached clients, under moto
in-process, so the count is exactly what the code sends (retries aside). The floor is the
fewest requests the operation could make with this data model; the comment on each row says
why we make what we make.
"""

from __future__ import annotations

import collections
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Counter, moto_env

IMPORT_BUDGET_MS = 60.0
IMPORT_RUNS = 7
SHARED = "cancelflow.cancel.submit_cancellation"  # what the cancel Lambda imports
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
M = timedelta(minutes=1)

# operation -> (floor, why we make what we make)
FLOORS: dict[str, tuple[int, str]] = {
    "create order, product not cached": (
        3,
        "product read (price, type; then kept 60 s per process: store/stock.py) + stock Query "
        "+ 1 transaction",
    ),
    "create order (1 key)": (
        2,
        "a warm function: the product from its cache + stock Query (key candidates) + 1 transaction",
    ),
    "confirm payment": (
        1,
        "we make 2: one BatchGetItem (the payment id: a replay answers without writing; the order: "
        "amount, deadline, version) + 1 transaction. A transaction returns no item and the answer "
        "is the paid order: writing first would need a read after it",
    ),
    "start delivery": (
        1,
        "we make 2: order read (status, hold, version: the condition and the history entry's key) "
        "+ 1 transaction (order + history entry, the outbox). A transaction returns no item and the "
        "answer is the whole order; a refusal costs the read alone (rows below)",
    ),
    "complete delivery": (2, "order read (its key ids) + 1 transaction moving the keys"),
    "complete order": (1, "we make 2, as start delivery: order read + 1 transaction"),
    "self-cancel (unpaid)": (
        1,
        "the order in hand: one transaction (status+version condition, keys back, history)",
    ),
    "self-cancel, whole cancel route": (
        1,
        "we make 2: one BatchGetItem (the order with its reserved key ids, and the customer's risk "
        "for the options) + the transaction; a single request cannot release keys it cannot name",
    ),
    "expire (sweep hands the order)": (1, "the due index projects the whole order: 1 transaction"),
    "late payment (after expiry)": (
        2,
        "one BatchGetItem (payment id + order) + 1 transaction (refund record, payment record, "
        "history): the floor",
    ),
    # Refusals, each worded as precisely as before (code, status, version).
    "start delivery, held (refused)": (1, "the order read decides: ORDER_HELD, nothing written"),
    "payment replayed": (1, "one BatchGetItem: the payment id is recorded, answered without writing"),
    "self-cancel, paid meanwhile": (
        1,
        "the order in hand is stale: the transaction is refused and returns the order as stored "
        "(ALL_OLD), which CONFLICT names: no read after",
    ),
    "expire, paid meanwhile": (1, "the sweep's index copy is stale: as above, the refused transaction"),
    "sweep step, paid meanwhile": (
        1,
        "the expiry sweep's whole step on that stale copy: the refusal carries the order it found "
        "(orders.OrderConflict.found), paid, so it is skipped as lost: no read after",
    ),
    "sweep step, a version behind": (
        2,
        "a copy a version behind, still due: the refused transaction, then the expiry written on "
        "the order the refusal found; no read between",
    ),
}


def _measure_requests() -> list[tuple[str, int, int, str, str]]:
    moto_env()
    from moto import mock_aws

    with mock_aws():
        from cancelflow import aws
        from cancelflow.cancel import submit_cancellation
        from cancelflow.domain.options import Action, Submission
        from cancelflow.domain.products import Channel, ProductType
        from cancelflow.errors import DomainError
        from cancelflow.store import ddb, keys, orders, payments, requests, stock
        from cancelflow.sweeps.due import Tally
        from cancelflow.sweeps.expiry import expire_one

        from local.provision import apply, provision

        apply(provision())
        stock.put_product("p-bench", ProductType.GAME_CARD, 1000, "基准", "bench")
        # enough keys that the order's own stock shard always has candidates: one Query
        stock.add_keys("p-bench", ((f"bk{i}", f"CODE{i}") for i in range(200)))
        counter = Counter()
        counter.attach()
        rows: list[tuple[str, int, int, str, str]] = []

        def measure(name: str, call: Callable[[], Any]) -> Any:
            result, calls, _ = counter.measure(call)
            seen = collections.Counter(calls)
            floor, why = FLOORS[name]
            ops = ", ".join(f"{op} {n}" for op, n in sorted(seen.items()))
            rows.append((name, sum(seen.values()), floor, ops, why))
            return result

        def refused(name: str, code: str, call: Callable[[], Any]) -> None:
            def attempt() -> None:
                try:
                    call()
                except DomainError as e:
                    assert e.code == code, (name, e.code, e.details)
                    return
                raise AssertionError(f"{name}: not refused")

            measure(name, attempt)

        measure("create order, product not cached", lambda: orders.create_order("c0", "p-bench", 1, NOW))
        o = measure("create order (1 key)", lambda: orders.create_order("c1", "p-bench", 1, NOW))
        measure(
            "confirm payment",
            lambda: payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, NOW + M),
        )
        measure("start delivery", lambda: orders.start_delivery(o.order_id, NOW + 2 * M))
        measure("complete delivery", lambda: orders.complete_delivery(o.order_id, NOW + 3 * M))
        measure("complete order", lambda: orders.complete_order(o.order_id, NOW + 4 * M))

        mine = orders.create_order("c2", "p-bench", 1, NOW)
        measure("self-cancel (unpaid)", lambda: orders.self_cancel(mine, NOW + M))
        u = orders.create_order("c2", "p-bench", 1, NOW)
        measure(
            "self-cancel, whole cancel route",
            lambda: submit_cancellation.submit(
                "c2", u.order_id, Submission(action=Action.SELF_CANCEL), NOW + M
            ),
        )
        e = orders.create_order("c3", "p-bench", 1, NOW)
        measure("expire (sweep hands the order)", lambda: orders.expire_order(e, NOW + 16 * M))
        late = orders.create_order("c4", "p-bench", 1, NOW)
        orders.expire_order(late, NOW + 16 * M)
        measure(
            "late payment (after expiry)",
            lambda: payments.confirm_payment(
                late.order_id, "pay-late", late.amount, Channel.WECHAT_PAY, NOW + 20 * M
            ),
        )
        # The refusals. A stale order in hand (read before a payment landed) is what the cancel
        # route or the expiry sweep's index copy can hold; the write decides against what is stored.
        h = orders.create_order("c5", "p-bench", 1, NOW)
        payments.confirm_payment(h.order_id, "pay-h", h.amount, Channel.ALIPAY, NOW + M)
        requests.open_for_review(orders.require_order(h.order_id), Submission(action=Action.REQUEST), NOW + M)
        refused(
            "start delivery, held (refused)",
            "ORDER_HELD",
            lambda: orders.start_delivery(h.order_id, NOW + 2 * M),
        )
        measure(
            "payment replayed",
            lambda: payments.confirm_payment(h.order_id, "pay-h", h.amount, Channel.ALIPAY, NOW + 2 * M),
        )
        stale = orders.create_order("c6", "p-bench", 1, NOW)
        payments.confirm_payment(stale.order_id, "pay-s", stale.amount, Channel.ALIPAY, NOW + M)
        refused("self-cancel, paid meanwhile", "CONFLICT", lambda: orders.self_cancel(stale, NOW + 2 * M))
        refused("expire, paid meanwhile", "CONFLICT", lambda: orders.expire_order(stale, NOW + 16 * M))
        tally = Tally()
        measure("sweep step, paid meanwhile", lambda: expire_one(stale, NOW + 16 * M, tally))
        behind = orders.create_order("c7", "p-bench", 1, NOW)
        aws.dynamodb().update_item(  # a change that is not a payment: the version moves on
            TableName=ddb.table(),
            Key=ddb.key(keys.order_pk(behind.order_id), keys.ORDER),
            UpdateExpression="SET version = :v",
            ExpressionAttributeValues=ddb.values({":v": behind.version + 1}),
        )
        measure("sweep step, a version behind", lambda: expire_one(behind, NOW + 16 * M, tally))
        assert (tally.lost, tally.done) == (1, 1), tally.summary()
    return rows


_PROBE = """
import time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
{extra}
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def _import_ms(extra: str) -> tuple[float, float]:
    """(boto3 ms, extra ms) in a fresh interpreter; bytecode caches are warm, as on Lambda."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(extra=extra)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    ).stdout.split()
    return float(out[0]), float(out[1])


def _measure_imports() -> tuple[float, float]:
    """Medians of (import boto3, import the shared package on top of boto3), interleaved runs."""
    _import_ms(f"import {SHARED}")  # compile .pyc once
    boto, extra = [], []
    for _ in range(IMPORT_RUNS):
        b, x = _import_ms(f"import {SHARED}")
        boto.append(b)
        extra.append(x)
    return statistics.median(boto), statistics.median(extra)


def _heaviest_imports(n: int = 6) -> list[tuple[int, str]]:
    """Self time (us) of the costliest modules the shared package adds (python -X importtime)."""
    err = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import boto3; import cancelflow.cancel.submit_cancellation",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    before_boto3_done, rows = True, []
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].split(":")[-1].strip().isdigit():
            continue
        name = parts[2].strip()
        if before_boto3_done:
            before_boto3_done = name != "boto3"
            continue
        rows.append((int(parts[0].split(":")[-1]), name))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    rows = _measure_requests()
    print(f"  {'operation':32} {'requests':>8} {'floor':>5}  by API call / why")
    for name, n, floor, ops, why in rows:
        print(f"  {name:32} {n:8d} {floor:5d}  {ops}")
        print(f"  {'':32} {'':8} {'':5}  ({why})")
    boto_ms, extra_ms = _measure_imports()
    verdict = "within" if extra_ms <= IMPORT_BUDGET_MS else "OVER"
    print(
        f"  import boto3: {boto_ms:.0f} ms; {SHARED} on top: {extra_ms:.0f} ms "
        f"(median of {IMPORT_RUNS} fresh interpreters; {verdict} the {IMPORT_BUDGET_MS:.0f} ms budget, "
        f"{extra_ms / boto_ms:.2f} x boto3)"
    )
    heavy = ", ".join(f"{name} {us / 1000:.0f}" for us, name in _heaviest_imports())
    print(f"  heaviest modules on top of boto3 (self ms): {heavy}")
    try:
        load = os.getloadavg()[0]
        print(f"  machine load (1 min): {load:.1f} on {os.cpu_count()} cores: timings scale with it")
    except OSError:
        pass
