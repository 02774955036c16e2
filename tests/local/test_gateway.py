"""The gateway in front of the handlers: JWT checks like API Gateway's authorizer, the v2 event,
and the error format of the answers it gives itself (starlette's test client, no sockets)."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from local.auth import Issuer
from local.gateway import build_app
from tests.local.fakes import FakeFunctions

ISS = "http://127.0.0.1:9"


def _echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


@pytest.fixture
def issuer() -> Issuer:
    return Issuer(issuer=ISS)


@pytest.fixture
def client(issuer: Issuer, tmp_path: Any) -> TestClient:
    def crash(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("secret stack detail")

    fns = FakeFunctions(cancel_api=_echo, platform_api=crash)
    return TestClient(build_app(issuer, fns, [], ISS, console_dir=tmp_path / "none"))


def _bearer(issuer: Issuer, groups: list[str] | None = None, ttl: int = 600) -> dict[str, str]:
    token, _ = issuer.mint("cust-1", groups or ["customer"], ttl)
    return {"Authorization": f"Bearer {token}"}


def _error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code and err["message"] and err["request_id"]
    return err


def test_a_valid_token_reaches_the_handler_as_a_v2_event_with_claims(
    client: TestClient, issuer: Issuer
) -> None:
    """GIVEN a token from the local issuer WHEN a route is called
    THEN the handler gets the route key, path parameters, query and string claims as API Gateway sends."""
    r = client.get("/v1/orders/o_1/timeline?a=1&a=2", headers=_bearer(issuer, ["customer", "support"]))
    assert r.status_code == 200
    ev = r.json()
    assert ev["version"] == "2.0" and ev["routeKey"] == "GET /v1/orders/{order_id}/timeline"
    assert ev["pathParameters"] == {"order_id": "o_1"}
    assert ev["queryStringParameters"] == {"a": "1,2"}
    claims = ev["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "cust-1" and claims["cognito:groups"] == "[customer support]"
    assert claims["iss"] == ISS and claims["aud"] == "cancelflow-local"
    assert "handler;dur=" in r.headers["server-timing"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_missing_or_malformed_tokens_get_401_in_the_error_format(client: TestClient, headers: Any) -> None:
    """GIVEN no usable token WHEN any API route is called THEN 401 UNAUTHENTICATED, handler not called."""
    _error(client.get("/v1/orders", headers=headers), 401, "UNAUTHENTICATED")


def test_expired_foreign_and_wrong_audience_tokens_get_401(client: TestClient, issuer: Issuer) -> None:
    """GIVEN tokens the authorizer would refuse WHEN used THEN 401 each, with the reason in details."""
    expired = _bearer(issuer, ttl=-10)
    assert _error(client.get("/v1/orders", headers=expired), 401, "UNAUTHENTICATED")["details"]["reason"] == (
        "token expired"
    )
    other_key = rsa.generate_private_key(65537, 2048)
    now = int(time.time())
    claims = {"sub": "x", "iss": ISS, "aud": "cancelflow-local", "exp": now + 60, "iat": now}
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": issuer.kid})
    _error(client.get("/v1/orders", headers={"Authorization": f"Bearer {forged}"}), 401, "UNAUTHENTICATED")
    own_key = issuer._key
    wrong_aud = jwt.encode({**claims, "aud": "x"}, own_key, algorithm="RS256", headers={"kid": issuer.kid})
    _error(client.get("/v1/orders", headers={"Authorization": wrong_aud}), 401, "UNAUTHENTICATED")
    wrong_iss = jwt.encode(
        {**claims, "iss": "http://evil"}, own_key, algorithm="RS256", headers={"kid": issuer.kid}
    )
    _error(client.get("/v1/orders", headers={"Authorization": wrong_iss}), 401, "UNAUTHENTICATED")
    hs = jwt.encode(
        claims, "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256", headers={"kid": issuer.kid}
    )
    _error(client.get("/v1/orders", headers={"Authorization": hs}), 401, "UNAUTHENTICATED")


def test_gateway_errors_are_localised_and_never_leak(client: TestClient, issuer: Issuer) -> None:
    """GIVEN a crashing handler and an unknown route
    WHEN called THEN 500 and 404 in the error format, no stack trace, English on request."""
    en = {"Accept-Language": "en", **_bearer(issuer, ["reviewer"])}
    r = client.post("/v1/platform/orders", headers=_bearer(issuer, ["platform"]), json={})
    _error(r, 500, "INTERNAL")
    assert "secret" not in r.text
    _error(client.get("/v1/nothing-here", headers=en), 404, "NOT_FOUND")
    _error(client.delete("/v1/orders", headers=en), 404, "NOT_FOUND")  # no route: no 405 in API Gateway


def test_jwks_verifies_minted_tokens(client: TestClient, issuer: Issuer) -> None:
    """GIVEN the served JWKS WHEN a minted token is verified with it THEN it is valid."""
    jwks = client.get("/.well-known/jwks.json").json()
    key = jwt.PyJWK(jwks["keys"][0])
    token, _ = issuer.mint("s", ["customer"])
    assert jwt.decode(token, key.key, algorithms=["RS256"], audience="cancelflow-local")["sub"] == "s"
    assert client.get("/.well-known/openid-configuration").json()["issuer"] == ISS


def test_a_function_takes_one_event_at_a_time_in_arrival_order() -> None:
    """GIVEN a function busy with an event and five threads queueing one after another WHEN it
    is free again THEN they get it in the order they asked, never two at once."""
    import threading

    from local.lambdas import Functions

    free, order, running, most = threading.Event(), [], [0], [0]

    def handler(event: dict[str, Any], context: Any) -> int:
        running[0] += 1
        most[0] = max(most[0], running[0])
        if event["i"] is None:
            free.wait(5)
        else:
            order.append(event["i"])
        running[0] -= 1
        return 0

    fns = Functions({"f": handler})
    busy = fns.submit("f", {"i": None})

    def worker(i: int, queued: threading.Event) -> None:
        result = fns.submit("f", {"i": i})
        queued.set()
        result.result()

    threads = []
    for i in range(5):
        queued = threading.Event()
        t = threading.Thread(target=worker, args=(i, queued))
        t.start()
        threads.append(t)
        assert queued.wait(5)  # queued before the next one starts
    free.set()
    for t in threads:
        t.join(5)
    assert busy.result(5)[0] == 0
    assert order == [0, 1, 2, 3, 4]
    assert most == [1]
    fns.close()


def _cors_client(issuer: Issuer, tmp_path: Any, origins: list[str]) -> TestClient:
    fns = FakeFunctions(cancel_api=_echo)
    return TestClient(build_app(issuer, fns, [], ISS, console_dir=tmp_path / "none", cors_origins=origins))


def test_a_page_from_a_configured_origin_may_call_the_api_and_read_its_headers(
    issuer: Issuer, tmp_path: Any
) -> None:
    """GIVEN an allowed origin WHEN its page preflights a POST with an idempotency key, then sends
    a request THEN the preflight allows both, and the answer lets the page read X-Request-Id and
    Idempotency-Replayed (a browser hides every other header from script)."""
    client = _cors_client(issuer, tmp_path, ["http://shop.example"])
    pre = client.options(
        "/v1/orders/o_1/cancellations",
        headers={
            "Origin": "http://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert pre.status_code == 200, pre.text
    assert pre.headers["access-control-allow-origin"] == "http://shop.example"
    allowed = {h.strip().lower() for h in pre.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "accept-language"} <= allowed
    assert pre.headers["x-request-id"]
    r = client.get("/v1/orders/o_1/timeline", headers={"Origin": "http://shop.example", **_bearer(issuer)})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://shop.example"
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"x-request-id", "idempotency-replayed"}


def test_another_origin_is_not_allowed_and_without_origins_there_is_no_cors(
    issuer: Issuer, tmp_path: Any
) -> None:
    """GIVEN an origin not configured WHEN it preflights THEN it is refused and no answer names
    it; GIVEN no origins at all THEN answers carry no CORS header (as the CDK makes no preflight)."""
    client = _cors_client(issuer, tmp_path, ["http://shop.example"])
    headers = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    pre = client.options("/v1/orders/o_1/cancellations", headers=headers)
    assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers
    r = client.get("/v1/orders/o_1/timeline", headers={"Origin": "http://evil.example", **_bearer(issuer)})
    assert "access-control-allow-origin" not in r.headers
    plain = _cors_client(issuer, tmp_path, [])
    r = plain.get("/v1/orders/o_1/timeline", headers={"Origin": "http://shop.example", **_bearer(issuer)})
    assert r.status_code == 200 and not any(h.startswith("access-control-") for h in r.headers)


def test_the_local_runtime_allows_the_dev_origins_and_those_it_is_given() -> None:
    """GIVEN cdk.json's dev origins and CANCELFLOW_CORS_ORIGINS WHEN the runtime starts THEN both
    are allowed, blanks dropped."""
    from infra.config import cdk_json_context, from_context
    from local.runtime import cors_origins

    dev = from_context("dev", cdk_json_context()).cors_origins
    assert cors_origins({}) == dev and dev
    given = cors_origins({"CANCELFLOW_CORS_ORIGINS": " http://a.example, ,http://b.example "})
    assert given == [*dev, "http://a.example", "http://b.example"]
