"""A bounded load against a fresh local runtime: mixed routes, many callers at once.

Prints: the zero-5xx check, throughput, latency percentiles (overall and per route), the
gateway's own time per request (Server-Timing) and, in the same run, the ratio of a request
through the gateway to a direct call of the same handler (same embedded AWS), then the
invariants (docs/domain.md, "Invariants") over the whole table afterwards.

``LOAD_REQUESTS`` (2000) and ``LOAD_CONCURRENCY`` (50) change the size.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

import httpx

from local import launcher

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "50"))
CUSTOMERS = 50


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _timing(header: str | None) -> tuple[float, float, float] | None:
    """(queued, handler, gateway) ms from the gateway's Server-Timing header."""
    if not header:
        return None
    parts = dict(p.strip().split(";dur=") for p in header.split(",") if ";dur=" in p)
    return float(parts["queue"]), float(parts["handler"]), float(parts["gateway"])


class Load:
    def __init__(self, base: str, tokens: dict[str, str], products: list[dict[str, Any]]) -> None:
        self.base, self.tokens, self.products = base, tokens, products
        self.left = REQUESTS
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter[int] = Counter()
        self.by_route_status: Counter[tuple[str, int]] = Counter()
        self.queued_ms: list[float] = []
        self.handler_ms: list[float] = []
        self.gateway_ms: list[float] = []

    async def call(
        self, http: httpx.AsyncClient, name: str, method: str, path: str, who: str, body: Any = None
    ) -> httpx.Response | None:
        if self.left <= 0:
            return None
        self.left -= 1
        t0 = time.perf_counter()
        r = await http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        self.latency[name].append((time.perf_counter() - t0) * 1000)
        self.status[r.status_code] += 1
        self.by_route_status[(name, r.status_code)] += 1
        t = _timing(r.headers.get("server-timing"))
        if t:
            self.queued_ms.append(t[0])
            self.handler_ms.append(t[1])
            self.gateway_ms.append(t[2])
        return r

    async def session(self, http: httpx.AsyncClient, rng: random.Random) -> None:
        """One customer's visit: browse, buy, then pay and cancel or cancel unpaid."""
        cust = f"cust-load-{rng.randrange(CUSTOMERS)}"
        product = rng.choice(self.products)
        await self.call(http, "GET /v1/policies", "GET", "/v1/policies", cust)
        body = {"customer_id": cust, "product_id": product["product_id"], "quantity": 1}
        r = await self.call(http, "POST /v1/platform/orders", "POST", "/v1/platform/orders", "platform", body)
        if r is None or r.status_code != 201:
            return
        order = r.json()
        oid = order["order_id"]
        await self.call(
            http, "GET /v1/orders/{id}/options", "GET", f"/v1/orders/{oid}/cancellation-options", cust
        )
        if rng.random() < 0.4:
            await self.call(
                http, "POST cancellations (self)", "POST", f"/v1/orders/{oid}/cancellations", cust,
                {"action": "self_cancel"},
            )  # fmt: skip
        else:
            pay = {"order_id": oid, "payment_id": f"pay-{uuid.uuid4().hex[:16]}", "amount": order["amount"],
                   "channel": rng.choice(("alipay", "wechat_pay", "bank_card"))}  # fmt: skip
            await self.call(
                http, "POST /v1/platform/payments", "POST", "/v1/platform/payments", "platform", pay
            )
            if rng.random() < 0.5:
                await self.call(
                    http, "POST cancellations (request)", "POST", f"/v1/orders/{oid}/cancellations", cust,
                    {"action": "request", "reason_code": "duplicate_order"},
                )  # fmt: skip
        await self.call(http, "GET /v1/orders/{id}", "GET", f"/v1/orders/{oid}", cust)
        await self.call(http, "GET /v1/orders", "GET", "/v1/orders?limit=10", cust)

    async def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as http:
            while self.left > 0:
                await self.session(http, rng)

    async def run(self) -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(self.worker(i) for i in range(CONCURRENCY)))
        return time.perf_counter() - t0


def _setup(base: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    with httpx.Client(base_url=base, timeout=60) as http:

        def token(sub: str, group: str) -> str:
            return str(http.post("/local/token", json={"sub": sub, "groups": [group]}).json()["token"])

        tokens = {f"cust-load-{i}": token(f"cust-load-{i}", "customer") for i in range(CUSTOMERS)}
        tokens["platform"] = token("platform-load", "platform")
        products = []
        for ptype, price, keys in (
            ("game_card", 10000, 400),
            ("software_license", 29900, 400),
            ("mobile_topup", 5000, 0),
        ):
            body: dict[str, Any] = {"product_id": f"p-load-{ptype}", "product_type": ptype, "price": price}
            if keys:
                body["keys"] = keys
            products.append(http.post("/local/products", json=body).json())
    return tokens, products


def _direct_vs_gateway(
    rt: launcher.Running, tokens: dict[str, str], n: int = 200
) -> list[tuple[str, float, float]]:
    """Median ms of the same request through HTTP + gateway and as a direct handler call from
    this process (same embedded AWS, same data), one at a time."""
    import boto3

    from local import apigw
    from local.provision import DEFAULT_NAMES, apply

    sqs = boto3.client("sqs", endpoint_url=rt.urls["aws"], region_name="ap-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    env = {
        **DEFAULT_NAMES,
        "AWS_ENDPOINT_URL": rt.urls["aws"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "ap-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "CANCELFLOW_REVIEW_QUEUE_URL": sqs.get_queue_url(QueueName="cancelflow-review")["QueueUrl"],
        "CANCELFLOW_REFUND_QUEUE_URL": sqs.get_queue_url(QueueName="cancelflow-refund")["QueueUrl"],
    }
    apply(env)
    from functions.cancel.api import handler
    from local.lambdas import LambdaContext

    cust = "cust-load-0"
    rows = []
    with httpx.Client(base_url=rt.api, timeout=30) as http:
        for name, path, route_key in (
            ("GET /v1/policies", "/v1/policies", "GET /v1/policies"),
            ("GET /v1/orders", "/v1/orders", "GET /v1/orders"),
        ):
            via, direct = [], []
            for _ in range(n):
                t0 = time.perf_counter()
                r = http.get(path, headers={"Authorization": f"Bearer {tokens[cust]}"})
                via.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
                event = apigw.build_event("GET", path, route_key, claims=apigw.customer_claims(cust))
                t0 = time.perf_counter()
                out = handler(event, LambdaContext("cancel_api"))
                direct.append((time.perf_counter() - t0) * 1000)
                assert out["statusCode"] == 200, out
            rows.append((name, statistics.median(via), statistics.median(direct)))
    return rows


def main() -> None:
    with launcher.running("--no-demo") as rt:
        tokens, products = _setup(rt.api)
        load = Load(rt.api, tokens, products)
        wall = asyncio.run(load.run())
        total = sum(load.status.values())
        all_ms = [x for v in load.latency.values() for x in v]
        five = sum(c for s, c in load.status.items() if s >= 500)
        print(f"  requests: {total} at {CONCURRENCY} concurrent, {wall:.1f} s")
        print(f"  5xx: {five}  {'OK (zero)' if five == 0 else 'FAILED'}")
        print(f"  statuses: {dict(sorted(load.status.items()))}")
        print(f"  throughput: {total / wall:.0f} req/s")
        print(
            f"  latency ms: p50 {pct(all_ms, 50):.1f}  p95 {pct(all_ms, 95):.1f}  p99 {pct(all_ms, 99):.1f}"
        )
        for name, v in sorted(load.latency.items()):
            codes = {s: c for (n, s), c in load.by_route_status.items() if n == name}
            print(f"    {name:<32} n={len(v):<5} p50 {pct(v, 50):7.1f}  p95 {pct(v, 95):7.1f}  {codes}")
        g, h, q = (statistics.mean(x) for x in (load.gateway_ms, load.handler_ms, load.queued_ms))
        print(f"  Server-Timing means: gateway's own work {g:.2f} ms, handler {h:.1f} ms, waiting (thread,"
              f" function busy) {q:.1f} ms; gateway/handler = {g / h:.3f}")  # fmt: skip
        for name, via, direct in _direct_vs_gateway(rt, tokens):
            print(f"  {name}: via HTTP+gateway {via:.1f} ms, direct handler call {direct:.1f} ms"
                  f" (median, sequential): ratio {via / direct:.2f}")  # fmt: skip
        _invariants(rt)
        if five:
            raise AssertionError(f"{five} server errors under load")


def _invariants(rt: launcher.Running) -> None:
    import boto3

    from local import invariants

    time.sleep(2)  # let the queue consumers settle what the load sent them
    ddb = boto3.client("dynamodb", endpoint_url=rt.urls["aws"], region_name="ap-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    items = invariants.scan(ddb, "cancelflow")
    print(f"  table afterwards: {invariants.summary(items)}")
    broken = 0
    for name, violations in invariants.check(items).items():
        broken += len(violations)
        verdict = "OK" if not violations else f"{len(violations)} VIOLATED, e.g. {violations[:3]}"
        print(f"  invariant {name}: {verdict}")
    if broken:
        raise AssertionError(f"{broken} invariant violations")
