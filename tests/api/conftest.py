"""Calling the real API handlers the way API Gateway does (local/apigw.py builds the v2 event
from infra/topology.py's routes), with the caller's JWT claims."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from cancelflow import clock
from cancelflow.domain.products import Channel
from cancelflow.store import ddb, orders, payments

from infra.topology import FUNCTIONS, ROUTES, Route
from local.apigw import build_event, match_route, parse_result
from local.lambdas import LambdaContext
from tests.api.world import OWNER, claims_for
from tests.conftest import NOW, moto_stack


def handler_for(function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    f = FUNCTIONS[function]
    module = importlib.import_module(f"functions.{f.folder}.{f.module}")
    return module.handler  # type: ignore[no-any-return]


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def code(self) -> str | None:
        body = self.json
        return body.get("error", {}).get("code") if isinstance(body, dict) else None


def invoke(event: dict[str, Any]) -> Resp:
    route = match_route(ROUTES, event["requestContext"]["http"]["method"], event["rawPath"])
    assert route is not None, f"no route for {event['rawPath']}"
    status, headers, raw = parse_result(
        handler_for(route[0].function)(event, LambdaContext(route[0].function))
    )
    return Resp(status, headers, raw)


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    who: str = "owner",
    claims: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
) -> Resp:
    found = match_route(ROUTES, method, path)
    route: Route | None = found[0] if found else None
    params = found[1] if found else None
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {"content-type": "application/json", **(headers or {})} if raw is not None else dict(headers or {})
    event = build_event(
        method,
        path,
        f"{route.method} {route.path}" if route else "$default",
        params,
        hdrs,
        query,
        raw,
        claims if claims is not None else claims_for(who),
    )
    function = route.function if route else "cancel_api"
    status, out_headers, out = parse_result(handler_for(function)(event, LambdaContext(function)))
    return Resp(status, out_headers, out)


class FrozenClock:
    """Business time for a test: starts at NOW and moves only when told."""

    def __init__(self) -> None:
        self.t = NOW

    def now(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> datetime:
        self.t += timedelta(**kw)
        return self.t


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Handlers read cancelflow.clock.now(); every API test starts at NOW."""
    fc = FrozenClock()
    monkeypatch.setattr(clock, "now", fc.now)
    return fc


def place_order(catalog: dict[str, str], quantity: int = 1) -> dict[str, Any]:
    """A game-card order for the world's owner, placed as the platform (201 asserted)."""
    r = call(
        "POST",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": catalog["game_card"], "quantity": quantity},
        who="platform",
    )
    assert r.status == 201, r.raw
    return dict(r.json)


def pay(order_id: str, minutes_after: int = 1, channel: Channel = Channel.ALIPAY) -> None:
    o = orders.require_order(order_id)
    payments.confirm_payment(
        order_id, f"pay-{order_id}", o.amount, channel, clock.now() + timedelta(minutes=minutes_after)
    )


def table_snapshot() -> list[dict[str, Any]]:
    """Every item of the main table (fine in tests; never on a request path)."""
    from cancelflow import aws

    items: list[dict[str, Any]] = []
    kw: dict[str, Any] = {"TableName": ddb.table()}
    while True:
        r = aws.dynamodb().scan(**kw)
        items += [ddb.from_item(i) for i in r.get("Items", [])]
        if "LastEvaluatedKey" not in r:
            break
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"], i["sk"]))


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, str]]:
    """moto with the world of tests/api/world.py, built once per module (for tests that only
    read it, or that each change a different order of it)."""
    from cancelflow.domain.products import ProductType
    from cancelflow.store import stock

    from tests.api.world import build_world

    with moto_stack() as env:
        stock.put_product("p-game_card", ProductType.GAME_CARD, 10000, "游戏点卡", "Game card")
        stock.add_keys("p-game_card", ((f"p-game_card-k{i:03d}", f"CODE-{i:04d}") for i in range(20)))
        build_world({"game_card": "p-game_card"})
        yield env


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After a run that fuzzed the API (tests/api/test_schemathesis.py): how many cases each
    route got as each caller, and what it answered."""
    import sys

    in_process = sys.modules.get("tests.api.in_process")
    seen = getattr(in_process, "SEEN", None)
    if not seen:
        return
    tr = terminalreporter
    tr.section("schemathesis: cases per route and caller, by status")
    rows: dict[tuple[str, str], dict[int, int]] = {}
    for (route, caller, status), n in seen.items():
        rows.setdefault((route, caller), {})[status] = n
    width = max(len(route) for route, _ in rows)
    for (route, caller), by_status in sorted(rows.items()):
        statuses = " ".join(f"{s}x{n}" for s, n in sorted(by_status.items()))
        tr.write_line(f"{route:<{width}}  {caller:<16} {sum(by_status.values()):>6}  {statuses}")
    totals: dict[int, int] = {}
    for (_, _, status), n in seen.items():
        totals[status] = totals.get(status, 0) + n
    summary = " ".join(f"{s}x{n}" for s, n in sorted(totals.items()))
    tr.write_line(f"{sum(totals.values())} cases on {len({r for r, _ in rows})} routes: {summary}")
