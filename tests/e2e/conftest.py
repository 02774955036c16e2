"""The end-to-end suite: one local runtime (``python -m local``) per session, started as a
subprocess on free ports, driven over real HTTP with real tokens from its issuer.

Journeys use their own products (``/local/products``) and customers so they never depend on
each other or on the demo data. Work that happens in the background (queue consumers, the
stream, the provider's callbacks) is awaited with ``eventually``: a deadline for waiting, then
an ordinary assertion.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from local import launcher

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def runtime() -> Iterator[launcher.Running]:
    rt = launcher.start()
    yield rt
    rt.stop()


class Api:
    """A thin client: tokens per user, JSON in and out, the error format checked."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        self._tokens: dict[tuple[str, tuple[str, ...]], str] = {}

    def token(self, sub: str, *groups: str, expires_in: int = 3600) -> str:
        key = (sub, groups)
        if key not in self._tokens or expires_in != 3600:
            r = self.http.post(
                "/local/token", json={"sub": sub, "groups": list(groups), "expires_in": expires_in}
            )
            assert r.status_code == 200, r.text
            if expires_in != 3600:
                return str(r.json()["token"])
            self._tokens[key] = r.json()["token"]
        return self._tokens[key]

    def call(
        self, method: str, path: str, user: tuple[str, ...] | None, body: Any = None, **headers: str
    ) -> httpx.Response:
        h = {k.replace("_", "-"): v for k, v in headers.items()}
        if user is not None:
            h["Authorization"] = f"Bearer {self.token(user[0], *user[1:])}"
        return self.http.request(method, path, json=body, headers=h)

    def ok(
        self, method: str, path: str, user: tuple[str, ...] | None, body: Any = None, status: int = 200
    ) -> Any:
        r = self.call(method, path, user, body)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def error(self, r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
        assert r.status_code == status, r.text
        err: dict[str, Any] = r.json()["error"]
        assert err["message"] and err["request_id"]
        if code is not None:
            assert err["code"] == code, err
        return err

    # ------------------------------------------------------------- local helpers

    def product(self, product_type: str = "game_card", price: int = 10000, keys: int = 5) -> str:
        pid = f"p-e2e-{uuid.uuid4().hex[:10]}"
        body = {"product_id": pid, "product_type": product_type, "price": price}
        if product_type != "mobile_topup":
            body["keys"] = keys
        self.ok("POST", "/local/products", None, body)
        return pid

    def stock(self, product_id: str) -> dict[str, int]:
        return dict(self.ok("GET", f"/local/products/{product_id}", None)["stock"])

    def advance(self, seconds: float) -> dict[str, Any]:
        return dict(self.ok("POST", "/local/clock", None, {"advance_seconds": seconds}))

    def status(self) -> dict[str, Any]:
        return dict(self.ok("GET", "/local/status", None))


PLATFORM = ("platform-e2e", "platform")


def customer() -> tuple[str, str]:
    return (f"cust-e2e-{uuid.uuid4().hex[:8]}", "customer")


def eventually[T](check: Callable[[], T | None], timeout: float = 30, every: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy without raising; then return it.
    After the deadline the last failure is raised as it is."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            out = check()
            if out:
                return out
            if time.monotonic() > deadline:
                raise AssertionError(f"still {out!r} after {timeout} s")
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        time.sleep(every)


@pytest.fixture(scope="session")
def api(runtime: launcher.Running) -> Iterator[Api]:
    client = Api(runtime.api)
    yield client
    client.http.close()


# ----------------------------------------------------------------- platform steps


def new_order(api: Api, cust: tuple[str, str], product_id: str, quantity: int = 1) -> dict[str, Any]:
    body = {"customer_id": cust[0], "product_id": product_id, "quantity": quantity}
    return dict(api.ok("POST", "/v1/platform/orders", PLATFORM, body, status=201))


def pay(
    api: Api, order: dict[str, Any], channel: str = "alipay", payment_id: str | None = None
) -> dict[str, Any]:
    body = {
        "order_id": order["order_id"],
        "payment_id": payment_id or f"pay-{uuid.uuid4().hex[:12]}",
        "amount": order["amount"],
        "channel": channel,
    }
    return dict(api.ok("POST", "/v1/platform/payments", PLATFORM, body))


def fulfil(api: Api, order_id: str, action: str, **more: Any) -> dict[str, Any]:
    body = {"action": action, **more}
    return dict(api.ok("POST", f"/v1/platform/orders/{order_id}/fulfilment", PLATFORM, body))


def cancel(api: Api, cust: tuple[str, str], order_id: str, **body: Any) -> httpx.Response:
    return api.call("POST", f"/v1/orders/{order_id}/cancellations", cust, body)


def detail(api: Api, cust: tuple[str, str], order_id: str) -> dict[str, Any]:
    return dict(api.ok("GET", f"/v1/orders/{order_id}", cust))


# ----------------------------------------------------------------- review steps

REVIEWER = ("rev-e2e", "reviewer")
REVIEWER_2 = ("rev-e2e-2", "reviewer")
SENIOR = ("senior-e2e", "reviewer", "senior_reviewer")
CHECKED = {"order_status_verified": True, "evidence_judged": True, "refund_path_confirmed": True}


def open_task(api: Api, order_id: str, kind: str = "cancellation") -> dict[str, Any]:
    """The open task for an order, once the review queue's consumer has made it."""

    def find() -> dict[str, Any] | None:
        cursor: str | None = None
        while True:
            q = "/v1/reviews?status=open&limit=100" + (f"&cursor={cursor}" if cursor else "")
            page = api.ok("GET", q, REVIEWER)
            for t in page["items"]:
                if t["order_id"] == order_id and t["kind"] == kind:
                    return dict(t)
            cursor = page.get("next_cursor")
            if not cursor:
                return None

    return eventually(find)


def try_claim(api: Api, who: tuple[str, ...], task_id: str) -> dict[str, Any] | None:
    """Claim ``task_id`` through claim-next, the only way to claim: tasks ahead of it in priority
    order are claimed on the way and released afterwards (the suite runs one journey at a time).
    None when claim-next runs out of tasks for this caller without offering it."""
    passed: list[str] = []
    try:
        for _ in range(200):
            r = api.call("POST", "/v1/reviews/claim-next", who)
            if r.status_code == 404:
                return None
            assert r.status_code == 200, r.text
            task = r.json()
            if task["task_id"] == task_id:
                return dict(task)
            passed.append(task["task_id"])
        raise AssertionError(f"{task_id} never came up")
    finally:
        for other in passed:
            api.ok("POST", f"/v1/reviews/{other}/release", who)


def claim(api: Api, who: tuple[str, ...], task_id: str) -> dict[str, Any]:
    task = try_claim(api, who, task_id)
    assert task is not None, f"claim-next never offered {task_id} to {who[0]}"
    return task


def decide(api: Api, who: tuple[str, ...], task_id: str, outcome: str, **body: Any) -> httpx.Response:
    return api.call("POST", f"/v1/reviews/{task_id}/decision", who, {"outcome": outcome, **body})


# ----------------------------------------------------------------- the provider simulator


@pytest.fixture
def provider(runtime: launcher.Running) -> Iterator[httpx.Client]:
    """The simulator's admin API; the failure switches a journey turns on are put back after it."""
    with httpx.Client(base_url=runtime.urls["provider"], timeout=10) as sim:
        yield sim
        sim.post("/admin/config", json={"error_5xx": 0.0, "timeout": 0.0, "unknown_result": 0.0})


def payouts_of(provider: httpx.Client, refund_id: str) -> int:
    """How many times the provider paid this refund's number (its own books)."""
    no = refund_id.replace("_", "")
    return sum(1 for p in provider.get("/admin/payouts").json()["payouts"] if p["refund_no"] == no)


def refund_of(api: Api, cust: tuple[str, str], order_id: str, lang: str = "zh-CN") -> dict[str, Any]:
    """The order's one refund as its customer reads it, in ``lang``."""
    r = api.call("GET", f"/v1/orders/{order_id}", cust, Accept_Language=lang)
    assert r.status_code == 200, r.text
    [refund] = r.json()["cancellation"]["refunds"]
    return dict(refund)


def stuck_refund(
    api: Api, provider: httpx.Client, channel: str, price: int
) -> tuple[tuple[str, str], dict[str, Any], dict[str, Any]]:
    """A customer's cancelled order whose refund cannot reach the closed account it was paid
    from: (customer, order, its refund in needs_customer_action)."""
    trade = f"pay-{uuid.uuid4().hex[:12]}"
    provider.post("/admin/accounts", json={"trade": trade, "closed": True}).raise_for_status()
    cust = customer()
    order = new_order(api, cust, api.product(price=price))
    pay(api, order, channel, payment_id=trade)
    r = cancel(api, cust, order["order_id"], action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text
    if channel == "wechat_pay":  # WeChat settles (ABNORMAL) a minute later, as the simulator's clock runs
        eventually(lambda: refund_of(api, cust, order["order_id"])["status"] == "processing", timeout=60)
        api.advance(120)
    refund = eventually(
        lambda: (x := refund_of(api, cust, order["order_id"]))["status"] == "needs_customer_action" and x,
        timeout=90,
    )
    return cust, order, refund
