"""The local gateway against what testing from outside found: answers it makes itself without
X-Request-Id, bodies over API Gateway's 10 MB parsed anyway, and ``--access-log`` silent
without ``--verbose``. The size limit is tested on a real socket, where "without reading it
all" can be seen: the answer comes while the client has not sent the body."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from local.auth import Issuer
from local.gateway import build_app
from local.serve import serve_in_thread
from tests.local.fakes import FakeFunctions

ISS = "http://127.0.0.1:9"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload quota, "10 MB"


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


def _sized(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"length": len(event.get("body") or "")})}


def _crash(event: dict[str, Any], context: Any) -> Any:
    raise RuntimeError("secret stack detail")


@pytest.fixture
def issuer() -> Issuer:
    return Issuer(issuer=ISS)


@pytest.fixture
def fns() -> FakeFunctions:
    return FakeFunctions(cancel_api=_echo, platform_api=_crash, review_api=_sized)


@pytest.fixture
def client(issuer: Issuer, fns: FakeFunctions, tmp_path: Any) -> TestClient:
    return TestClient(build_app(issuer, fns, [], ISS, console_dir=tmp_path / "none"))


def _bearer(issuer: Issuer, groups: list[str] | None = None) -> dict[str, str]:
    token, _ = issuer.mint("cust-1", groups or ["customer"], 600)
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- 7. X-Request-Id


def test_every_answer_the_gateway_makes_carries_x_request_id_equal_to_the_body(
    client: TestClient, issuer: Issuer
) -> None:
    """GIVEN requests the gateway answers itself (no token, an unknown route, a method no route
    has, a crashing function, a body over the limit) WHEN answered THEN each carries
    X-Request-Id (and apigw-requestid), equal to the request id in the error body."""
    too_big = {"content-length": str(MAX_PAYLOAD_BYTES + 1), **_bearer(issuer)}
    answers = [
        client.get("/v1/orders"),
        client.get("/v1/orders", headers={"Authorization": "Bearer nope"}),
        client.get("/v1/nowhere", headers=_bearer(issuer)),
        client.delete("/v1/orders", headers=_bearer(issuer)),
        client.post("/v1/platform/orders", headers=_bearer(issuer, ["platform"]), json={}),
        client.post("/v1/platform/orders", headers=too_big, content=b"{}"),
    ]
    assert [r.status_code for r in answers] == [401, 401, 404, 404, 500, 413]
    ids = set()
    for r in answers:
        rid = r.json()["error"]["request_id"]
        assert r.headers["x-request-id"] == r.headers["apigw-requestid"] == rid, (r.status_code, r.headers)
        ids.add(rid)
    assert len(ids) == len(answers)  # one id per request


def test_a_function_answer_carries_the_request_id_of_its_event(client: TestClient, issuer: Issuer) -> None:
    """GIVEN a function that sets no X-Request-Id itself WHEN it answers THEN the gateway adds
    the id the function's event carried (the one the handlers echo), on non-API routes too."""
    r = client.get("/v1/orders", headers=_bearer(issuer))
    assert r.status_code == 200
    assert (
        r.headers["x-request-id"] == r.json()["requestContext"]["requestId"] == r.headers["apigw-requestid"]
    )
    assert client.get("/.well-known/jwks.json").headers["x-request-id"]


# ---------------------------------------------------------------- 8. 413 over 10 MB


def test_the_limit_is_api_gateways_ten_megabytes(client: TestClient, issuer: Issuer) -> None:
    """GIVEN bodies of exactly 10 MB and one byte more WHEN POSTed THEN the first reaches the
    function whole, the second is 413 PAYLOAD_TOO_LARGE and the function never runs."""
    from local import apigw

    assert apigw.MAX_PAYLOAD_BYTES == MAX_PAYLOAD_BYTES
    route = "/v1/reviews/tk_00000000000000000000/decision"
    at_limit = client.post(route, headers=_bearer(issuer, ["reviewer"]), content=b"x" * MAX_PAYLOAD_BYTES)
    assert at_limit.status_code == 200 and at_limit.json()["length"] == MAX_PAYLOAD_BYTES
    over = client.post(route, headers=_bearer(issuer, ["reviewer"]), content=b"x" * (MAX_PAYLOAD_BYTES + 1))
    assert over.status_code == 413 and over.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert over.json()["error"]["details"] == {"max_bytes": MAX_PAYLOAD_BYTES}


@pytest.fixture
def served(issuer: Issuer, fns: FakeFunctions, tmp_path: Any) -> Iterator[int]:
    import uvicorn

    app = build_app(issuer, fns, [], ISS, console_dir=tmp_path / "none")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _, stop = serve_in_thread(config, "gateway-test", sockets=[sock])
    yield sock.getsockname()[1]
    stop()


def _answer(conn: socket.socket, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    conn.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        rest += conn.recv(65536)
    return int(head.split(b" ")[1]), json.loads(rest[:length])


def test_a_declared_length_over_the_limit_is_answered_before_the_body_is_sent(served: int) -> None:
    """GIVEN a request declaring Content-Length of 11 MiB WHEN only its headers have been sent
    THEN 413 PAYLOAD_TOO_LARGE arrives at once: the gateway did not wait to read the body."""
    with socket.create_connection(("127.0.0.1", served)) as conn:
        conn.sendall(
            b"POST /v1/platform/payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
        )
        status, body = _answer(conn)
    assert status == 413 and body["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_body_is_counted_while_it_streams(served: int, issuer: Issuer, fns: FakeFunctions) -> None:
    """GIVEN a chunked request (no Content-Length) WHEN 10 MB and one byte have been sent, and
    the body has not ended THEN 413 arrives: the count stops the read, the function never runs."""
    token = _bearer(issuer)["Authorization"]
    chunk = b"x" * (1024 * 1024)
    with socket.create_connection(("127.0.0.1", served)) as conn:
        conn.sendall(
            b"POST /v1/orders/o_00000000000000000000/cancellations HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: {token}\r\nContent-Type: application/json\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(10):
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.sendall(b"1\r\nx\r\n")  # one byte over; the terminating chunk never comes
        status, body = _answer(conn)
    assert status == 413 and body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "cancel_api" not in fns.events


# ---------------------------------------------------------------- 14. --access-log


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_access_log_prints_a_line_per_request_without_verbose(
    issuer: Issuer, fns: FakeFunctions, tmp_path: Any
) -> None:
    """GIVEN the runtime's gateway configured with --access-log and not --verbose WHEN a
    request is served THEN one access line is logged for it (it printed nothing)."""
    import httpx

    from local.runtime import Options, gateway_config

    app = build_app(issuer, fns, [], ISS, console_dir=tmp_path / "none")
    config = gateway_config(app, Options(verbose=False, access_log=True))
    lines = _Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(lines)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        _, stop = serve_in_thread(config, "gateway-access-log", sockets=[sock])
        try:
            httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/.well-known/jwks.json", timeout=5)
            deadline = time.monotonic() + 5
            while not lines.lines and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            stop()
    finally:
        access.removeHandler(lines)
    assert any("GET /.well-known/jwks.json" in line and "200" in line for line in lines.lines), lines.lines
    assert not logging.getLogger("uvicorn.error").isEnabledFor(logging.INFO)  # still not verbose
