"""End to end: the HTTP items of the hardening issue against the real local runtime
(``python -m local --access-log``, started once for this module), over real HTTP with tokens
from its issuer, as an outside client meets them."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from local import launcher

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def rt() -> Iterator[launcher.Running]:
    with launcher.running("--access-log", "--no-demo") as running:
        yield running


@pytest.fixture(scope="module")
def http(rt: launcher.Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=rt.api, timeout=30) as client:
        yield client


def _token(http: httpx.Client, sub: str, group: str) -> dict[str, str]:
    r = http.post("/local/token", json={"sub": sub, "groups": [group]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _same_id(r: httpx.Response) -> str:
    rid: str = r.json()["error"]["request_id"]
    assert r.headers["x-request-id"] == rid == r.headers["apigw-requestid"], (r.status_code, r.headers)
    return rid


@pytest.fixture(scope="module")
def order(http: httpx.Client) -> dict[str, Any]:
    """An unpaid order of a new customer, for a product of the test's own."""
    pid = f"p-hard-{uuid.uuid4().hex[:8]}"
    r = http.post(
        "/local/products", json={"product_id": pid, "product_type": "game_card", "price": 100, "keys": 3}
    )
    assert r.status_code == 200, r.text
    cust = f"cust-hard-{uuid.uuid4().hex[:6]}"
    platform = _token(http, "platform-hard", "platform")
    r = http.post("/v1/platform/orders", headers=platform, json={"customer_id": cust, "product_id": pid})
    assert r.status_code == 201, r.text
    return {"customer": cust, "platform": platform, **r.json()}


def test_gateway_answers_carry_x_request_id_equal_to_the_body(
    http: httpx.Client, rt: launcher.Running
) -> None:
    """GIVEN the running gateway WHEN it answers itself (no token, unknown route, a declared
    11 MiB body) THEN X-Request-Id equals the body's request_id; a 413 before the body is sent."""
    r = http.get("/v1/orders")
    assert r.status_code == 401 and _same_id(r)
    r = http.get("/v1/nowhere", headers=_token(http, "c-x", "customer"))
    assert r.status_code == 404 and _same_id(r)
    url = urlparse(rt.api)
    with socket.create_connection((url.hostname, url.port)) as conn:
        conn.settimeout(10)
        conn.sendall(
            b"POST /v1/platform/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
        )
        head = conn.recv(65536)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]


def test_hostile_bodies_are_refused_and_change_nothing(http: httpx.Client, order: dict[str, Any]) -> None:
    """GIVEN an unpaid order WHEN its payment comes with "amount": true, as an array, or nested
    1,000 deep THEN 422, 422 and 400, and the order is still unpaid."""
    base = {"order_id": order["order_id"], "payment_id": f"pay-{uuid.uuid4().hex[:8]}", "channel": "alipay"}
    plat = order["platform"]
    r = http.post("/v1/platform/payments", headers=plat, json={**base, "amount": True})
    assert (r.status_code, r.json()["error"]["details"]["field"]) == (422, "body.amount")
    r = http.post("/v1/platform/payments", headers=plat, json=[{**base, "amount": order["amount"]}])
    assert (r.status_code, r.json()["error"]["details"]["field"]) == (422, "body")
    deep = b'{"amount": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    r = http.post("/v1/platform/payments", headers={**plat, "content-type": "application/json"}, content=deep)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "MALFORMED_BODY")
    me = _token(http, order["customer"], "customer")
    assert (
        http.get(f"/v1/orders/{order['order_id']}", headers=me).json()["order"]["status"] == "pending_payment"
    )


def test_a_padded_subject_and_a_refused_language(http: httpx.Client, order: dict[str, Any]) -> None:
    """GIVEN a customer's order WHEN a token for " <customer> " reads it THEN 404 (another
    identity); WHEN asked with Accept-Language "en;q=0" THEN the message is Chinese."""
    padded = _token(http, f" {order['customer']} ", "customer")
    assert http.get(f"/v1/orders/{order['order_id']}", headers=padded).status_code == 404
    r = http.get("/v1/orders/o_x", headers={**padded, "Accept-Language": "en;q=0, zh;q=0.5"})
    assert r.status_code == 422 and r.json()["error"]["message"] == "请求参数不正确"
    r = http.get("/v1/orders/o_x", headers={**padded, "Accept-Language": "zh;q=0"})
    assert r.json()["error"]["message"] == "The request is not valid"


def test_access_log_prints_each_request_without_verbose(http: httpx.Client, rt: launcher.Running) -> None:
    """GIVEN the runtime started with --access-log and not --verbose WHEN a request is served
    THEN a line for it appears on the runtime's output."""
    marker = f"/local/products/p-none-{uuid.uuid4().hex[:8]}"
    http.get(marker)
    deadline = time.monotonic() + 10
    while not any(marker in line for line in rt.output) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(marker in line and "GET" in line for line in rt.output), json.dumps(rt.output[-10:])
