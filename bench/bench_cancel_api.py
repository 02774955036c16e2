"""The cancel API's cost: AWS requests per route (counted with botocore event hooks, moto
in-process) next to the floor the issue sets.

Its cold start (importing the handler, creating the clients its first request uses, serving
that request, next to a plain boto3 process doing the same requests) is every function's, in
``bench/bench_coldstart.py`` (``make bench ONLY=coldstart``).

Run: ``make bench ONLY=cancel_api`` (or ``python -m bench cancel_api``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Counter, moto_env

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
CUSTOMER = "7f3e2a10-5c1b-4e8a-9d2f-0b6c8e1a4d21"


# ---------------------------------------------------------------- requests per route


def _call(
    method: str, path: str, route: str, params: dict[str, str], body: Any = None, key: str | None = None
) -> int:
    import functions.cancel.api as cancel
    from local.apigw import build_event, customer_claims, parse_result
    from local.lambdas import LambdaContext

    headers = {"content-type": "application/json"} if body is not None else {}
    if key:
        headers["idempotency-key"] = key
    raw = json.dumps(body).encode() if body is not None else None
    event = build_event(
        method, path, f"{method} {route}", params or None, headers, None, raw, customer_claims(CUSTOMER)
    )
    status, _, out = parse_result(cancel.handler(event, LambdaContext("cancel_api")))
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {out[:300]!r}")
    return status


def _requests_per_route() -> list[tuple[str, int, int, int, str]]:
    from moto import mock_aws

    rows: list[tuple[str, int, int, int, str]] = []
    with mock_aws():
        from cancelflow import clock
        from cancelflow.domain.products import Channel, ProductType
        from cancelflow.store import orders, payments, stock

        from local.provision import apply, provision

        apply(provision())
        stock.put_product("p-card", ProductType.GAME_CARD, 10000, "游戏点卡", "Game card")
        stock.add_keys("p-card", ((f"k{i:03d}", f"CODE-{i}") for i in range(20)))
        t = clock.now()  # wall-clock business time: the handlers read clock.now()
        pending = orders.create_order(CUSTOMER, "p-card", 1, t).order_id
        pending2 = orders.create_order(CUSTOMER, "p-card", 1, t).order_id
        late = orders.create_order(CUSTOMER, "p-card", 1, t - timedelta(minutes=14)).order_id
        payments.confirm_payment(late, "pay-late", 10000, Channel.ALIPAY, t - timedelta(minutes=13))
        fresh = orders.create_order(CUSTOMER, "p-card", 1, t).order_id
        payments.confirm_payment(fresh, "pay-fresh", 10000, Channel.ALIPAY, t)
        counter = Counter()
        counter.attach()
        o = "/v1/orders/{order_id}"

        def self_cancel() -> int:  # measured once, then replayed with the same idempotency key
            return _call(
                "POST",
                f"/v1/orders/{pending}/cancellations",
                o + "/cancellations",
                {"order_id": pending},
                {"action": "self_cancel"},
                "bench-1",
            )

        cases: list[tuple[str, int, str, Callable[[], int]]] = [
            (
                "GET /v1/policies",
                0,
                "policy is configuration",
                lambda: _call("GET", "/v1/policies", "/v1/policies", {}),
            ),
            ("GET /v1/orders", 1, "one index query", lambda: _call("GET", "/v1/orders", "/v1/orders", {})),
            (
                "GET /v1/orders/{id}",
                1,
                "one query of the order's partition (+1 batch read when it has refunds)",
                lambda: _call("GET", f"/v1/orders/{pending}", o, {"order_id": pending}),
            ),
            (
                "GET .../cancellation-options",
                1,
                "one batch read: order + the caller's day statistics",
                lambda: _call(
                    "GET",
                    f"/v1/orders/{pending}/cancellation-options",
                    o + "/cancellation-options",
                    {"order_id": pending},
                ),
            ),
            (
                "GET .../timeline",
                1,
                "one query of the order's partition",
                lambda: _call(
                    "GET", f"/v1/orders/{pending}/timeline", o + "/timeline", {"order_id": pending}
                ),
            ),
            (
                "POST .../evidence-uploads",
                1,
                "ownership read; presigning is local (no Idempotency-Key sent)",
                lambda: _call(
                    "POST",
                    f"/v1/orders/{pending2}/evidence-uploads",
                    o + "/evidence-uploads",
                    {"order_id": pending2},
                    {"content_type": "image/png"},
                ),
            ),
            (
                "POST cancellations self_cancel",
                3,
                "idempotency record (put + complete) + one transaction",
                self_cancel,
            ),
            (
                "  same, replayed (same key)",
                1,
                "the idempotency record only",
                self_cancel,
            ),
            (
                "POST cancellations request (reviewed)",
                4,
                "idempotency (2) + one transaction + one queue send",
                lambda: _call(
                    "POST",
                    f"/v1/orders/{late}/cancellations",
                    o + "/cancellations",
                    {"order_id": late},
                    {"action": "request"},
                    "bench-2",
                ),
            ),
            (
                "POST cancellations request (auto)",
                4,
                "idempotency (2) + one transaction + one refund send",
                lambda: _call(
                    "POST",
                    f"/v1/orders/{fresh}/cancellations",
                    o + "/cancellations",
                    {"order_id": fresh},
                    {"action": "request"},
                    "bench-3",
                ),
            ),
        ]
        for name, floor, why, fn in cases:
            _, calls, sends = counter.measure(fn)
            rows.append(
                (
                    name,
                    len(calls),
                    sends,
                    floor,
                    f"{why}; made: {', '.join(calls) or '-'}",
                )
            )
    return rows


def main() -> None:
    moto_env()
    print(f"  {'route':<40} {'calls':>5} {'sent':>5} {'floor':>5}  operations")
    for name, calls, sends, floor, note in _requests_per_route():
        mark = "" if calls <= floor else f" (+{calls - floor})"
        print(f"  {name:<40} {calls:>5} {sends:>5} {floor:>5}{mark:<5} {note}")


if __name__ == "__main__":
    main()
