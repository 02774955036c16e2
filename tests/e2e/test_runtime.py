"""The runtime itself: gateway authentication, routes from the topology, what it serves beside
the API, the local helpers, and starting/stopping."""

from __future__ import annotations

import subprocess
import sys

from infra.topology import ROUTES
from local import launcher
from local.lambdas import ROOT
from tests.e2e.conftest import Api, customer


def test_missing_wrong_and_expired_tokens_get_401_from_the_gateway(api: Api) -> None:
    """GIVEN no token, a garbage token, a token signed by someone else, an expired token
    WHEN a customer route is called THEN 401 UNAUTHENTICATED in the error format each time."""
    api.error(api.call("GET", "/v1/orders", None), 401, "UNAUTHENTICATED")
    api.error(
        api.http.get("/v1/orders", headers={"Authorization": "Bearer abc.def.ghi"}), 401, "UNAUTHENTICATED"
    )
    good = api.token("cust-401", "customer")
    head, payload, sig = good.split(".")
    tampered = f"{head}.{payload}.{sig[:-4]}AAAA"
    api.error(
        api.http.get("/v1/orders", headers={"Authorization": f"Bearer {tampered}"}), 401, "UNAUTHENTICATED"
    )
    expired = api.token("cust-401", "customer", expires_in=-30)
    err = api.error(
        api.http.get("/v1/orders", headers={"Authorization": f"Bearer {expired}", "Accept-Language": "en"}),
        401,
        "UNAUTHENTICATED",
    )
    assert err["message"] == "Sign in first" and err["details"]["reason"] == "token expired"


def test_a_valid_token_is_accepted(api: Api) -> None:
    """GIVEN a fresh customer's token WHEN they list their orders THEN 200 and an empty page."""
    page = api.ok("GET", "/v1/orders", customer())
    assert page["items"] == []


def test_a_customer_token_on_a_platform_route_is_403_from_the_handler(api: Api) -> None:
    """GIVEN a customer token WHEN a platform route is called THEN the handler (not the gateway) says 403."""
    r = api.call("POST", "/v1/platform/orders", customer(), {"customer_id": "x", "product_id": "y"})
    api.error(r, 403, "FORBIDDEN")


def test_unknown_routes_are_404_in_the_error_format(api: Api) -> None:
    """GIVEN a path that is not in the topology WHEN called THEN 404 NOT_FOUND."""
    api.error(api.call("GET", "/v1/nope", customer()), 404, "NOT_FOUND")
    api.error(api.call("PUT", "/v1/orders", customer()), 404, "NOT_FOUND")


def test_openapi_console_and_jwks_are_served_from_the_same_origin(api: Api) -> None:
    """GIVEN the runtime WHEN its side documents are fetched THEN the OpenAPI document lists the
    topology's customer routes and points at this server; the JWKS has the signing key."""
    doc = api.ok("GET", "/openapi.json", None)
    assert doc["servers"][0]["url"] == api.base
    for r in ROUTES:
        if r.function == "cancel_api":
            assert r.method.lower() in doc["paths"][r.path], r
    assert api.ok("GET", "/.well-known/jwks.json", None)["keys"][0]["alg"] == "RS256"
    if (ROOT / "console" / "index.html").is_file():
        assert api.http.get("/").headers["location"] == "/console/"
        assert api.http.get("/console/").status_code == 200


def test_local_helpers_mint_stock_and_move_the_clock(api: Api) -> None:
    """GIVEN the /local helpers WHEN a product gets keys and the clock moves THEN both show it."""
    pid = api.product(keys=3)
    assert api.stock(pid) == {"available": 3, "reserved": 0, "quarantined": 0, "delivered": 0, "voided": 0}
    more = api.ok("POST", "/local/products", None, {"product_id": pid, "keys": 2})
    assert more["keys_added"] == 2 and more["stock"]["available"] == 5
    api.error(api.call("POST", "/local/products", None, {"product_id": "p-none-such", "keys": 1}), 404)
    before = api.ok("GET", "/local/clock", None)["offset_seconds"]
    moved = api.advance(1)
    assert moved["offset_seconds"] == before + 1
    api.error(api.call("POST", "/local/clock", None, {"advance_seconds": -5}), 422, "VALIDATION_FAILED")


def test_demo_data_has_every_state_and_the_demo_users(api: Api) -> None:
    """GIVEN the demo data WHEN the demo customer lists orders THEN the users exist and their
    orders cover the states of (docs/domain.md, "Order states")."""
    users = {u["sub"]: u["groups"] for u in api.ok("GET", "/local/users", None)["users"]}
    assert {"customer", "reviewer", "senior_reviewer", "support", "platform"} <= {
        g for gs in users.values() for g in gs
    }
    orders = []
    for sub in ("cust-lilei", "cust-hanmeimei", "cust-risky"):
        orders += api.ok("GET", "/v1/orders?limit=50", (sub, "customer"))["items"]
    # Other tests move the business clock: the unpaid demo order may have expired by now, and a
    # delivered one completed once its confirmation window ended (the completion schedule).
    statuses = {o["status"] for o in orders}
    assert statuses >= {"paid", "delivering", "completed", "cancelled"}
    assert "delivered" in statuses or any(
        o["status"] == "completed" and o.get("delivered_at") for o in orders
    )
    assert any(o["status"] == "pending_payment" or o["cancel_reason"] == "payment_timeout" for o in orders)
    assert sum(o["held"] for o in orders) == 4  # request, high-risk request, stop-delivery, appeal


def test_a_second_instance_on_the_same_port_says_so_and_exits(runtime: launcher.Running) -> None:
    """GIVEN a running runtime WHEN another is started on its port THEN it says so and exits 3."""
    port = runtime.api.rsplit(":", 1)[1]
    p = subprocess.run(
        [sys.executable, "-m", "local", "--port", port, "--aws-port", "0", "--provider-port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 3
    assert "already running" in p.stderr and runtime.api in p.stderr


def test_ctrl_c_stops_everything_cleanly() -> None:
    """GIVEN a runtime without demo data WHEN it gets SIGINT THEN it stops and exits 0."""
    rt = launcher.start("--no-demo")
    assert rt.stop() == 0
    assert "==> stopped" in rt.output


def test_a_customer_token_on_a_reviewer_route_is_403(api: Api) -> None:
    """GIVEN a customer's valid token WHEN the review queue is listed or claimed THEN 403 FORBIDDEN."""
    api.error(api.call("GET", "/v1/reviews", customer()), 403, "FORBIDDEN")
    api.error(api.call("POST", "/v1/reviews/claim-next", customer()), 403, "FORBIDDEN")
