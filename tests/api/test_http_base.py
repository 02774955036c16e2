"""The shared HTTP layer (cancelflow.http) on a tiny API: identity, the one error format,
idempotency. The real routes are tested in the other files of this folder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cancelflow.http.api import Api
from cancelflow.http.context import negotiate_language
from cancelflow.http.identity import CUSTOMER, parse_groups
from cancelflow.http.params import IdPath
from pydantic import BaseModel, ConfigDict

from local.apigw import build_event, customer_claims, parse_result
from local.lambdas import LambdaContext

api = Api("probe")
CALLS: list[int] = []


class ProbeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: int


class ProbeOut(BaseModel):
    x: int
    n: int
    probe_id: str | None = None


@api.get("/v1/probe/{probe_id}", roles=CUSTOMER, aws=False)
def read_probe(probe_id: IdPath) -> ProbeOut:
    return ProbeOut(x=0, n=len(CALLS), probe_id=probe_id)


@api.post("/v1/probe", roles=CUSTOMER, status=201)
def make_probe(body: ProbeIn) -> ProbeOut:
    if body.x == 13:
        raise RuntimeError("secret internals /var/task/app.py")
    if body.x == 429:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetItem")
    CALLS.append(body.x)
    return ProbeOut(x=body.x, n=len(CALLS))


PID = "o_" + "ab" * 10


def call(
    method: str,
    path: str,
    route_key: str,
    body: bytes | None = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    hdrs = {"content-type": "application/json", **(headers or {})}
    event = build_event(method, path, route_key, None, hdrs, None, body, claims)
    status, out_headers, raw = parse_result(api.handler(event, LambdaContext("probe")))
    return status, out_headers, json.loads(raw)


def test_groups_claim_in_every_shape() -> None:
    """GIVEN cognito:groups as a list, a flattened "[a b]" string or "a,b" THEN the same roles."""
    for raw in (["customer", "reviewer"], "[customer reviewer]", "customer,reviewer", "customer reviewer"):
        assert parse_groups(raw) == {"customer", "reviewer"}
    assert parse_groups("customer") == {"customer"}
    assert parse_groups(None) == frozenset() and parse_groups("") == frozenset() and parse_groups(3) == set()


def test_language_negotiation() -> None:
    """GIVEN Accept-Language THEN en or zh-CN (the default)."""
    assert negotiate_language(None) == "zh-CN"
    assert negotiate_language("en-US,en;q=0.9") == "en"
    assert negotiate_language("fr, en;q=0.5, zh-CN;q=0.8") == "zh-CN"
    assert negotiate_language("de") == "zh-CN"


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"sub": ""}, {"cognito:groups": "[customer]"}],
    ids=["no-authorizer", "no-claims", "empty-sub", "groups-without-sub"],
)
def test_missing_identity_is_401_never_trusted(claims: dict[str, Any] | None) -> None:
    """GIVEN a request without a verified subject WHEN any route THEN 401 in the error format."""
    status, _, body = call("GET", f"/v1/probe/{PID}", "GET /v1/probe/{probe_id}", claims=claims)
    assert status == 401 and body["error"]["code"] == "UNAUTHENTICATED"


def test_wrong_role_is_403_before_validation() -> None:
    """GIVEN a reviewer WHEN a customer route with a bad path id THEN 403 (not 422)."""
    status, _, body = call(
        "GET", "/v1/probe/x", "GET /v1/probe/{probe_id}", claims=customer_claims("r1", ["reviewer"])
    )
    assert status == 403 and body["error"]["code"] == "FORBIDDEN"


def test_error_format_and_language() -> None:
    """GIVEN a bad path id WHEN asked in English THEN 422 naming the field, request id echoed."""
    event = build_event(
        "GET",
        "/v1/probe/BAD",
        "GET /v1/probe/{probe_id}",
        {"probe_id": "BAD"},
        {"accept-language": "en"},
        None,
        None,
        customer_claims("c1"),
        request_id="req-123",
    )
    status, headers, raw = parse_result(api.handler(event, LambdaContext("probe")))
    body = json.loads(raw)
    assert status == 422
    assert body == {
        "error": {
            "code": "VALIDATION_FAILED",
            "message": "The request is not valid",
            "request_id": "req-123",
            "details": {
                "field": "path.probe_id",
                "errors": [{"field": "path.probe_id", "type": "string_pattern_mismatch"}],
            },
        }
    }
    assert headers["x-request-id"] == "req-123"


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"x": 1', {}, 400, "MALFORMED_BODY"),
        (b"\xff\xfe\x00{", {}, 400, "MALFORMED_BODY"),  # arrives base64, not UTF-8
        (b"x=1", {"content-type": "application/x-www-form-urlencoded"}, 400, "MALFORMED_BODY"),
        (b'{"x": 1, "y": 2}', {}, 422, "VALIDATION_FAILED"),
        (b"{}", {}, 422, "VALIDATION_FAILED"),
        (None, {}, 422, "VALIDATION_FAILED"),
        (b'{"x": 13}', {}, 500, "INTERNAL"),
        (b'{"x": 429}', {}, 429, "RATE_LIMITED"),
    ],
    ids=[
        "not-json",
        "not-utf8-base64",
        "form",
        "unknown-field",
        "missing-field",
        "no-body",
        "crash",
        "throttled",
    ],
)
def test_every_failure_in_the_one_format(
    aws: dict[str, str], body: bytes | None, headers: dict[str, str], status: int, code: str
) -> None:
    """GIVEN a bad body or a crash WHEN POSTed THEN the status and code, no stack trace."""
    got, _, out = call("POST", "/v1/probe", "POST /v1/probe", body, customer_claims("c1"), headers)
    assert (got, out["error"]["code"]) == (status, code)
    assert set(out["error"]) == {"code", "message", "request_id", "details"}
    assert "Traceback" not in json.dumps(out) and "/var/task" not in json.dumps(out)


def test_unknown_route_is_404() -> None:
    """GIVEN a path no route has THEN 404 NOT_FOUND in the error format."""
    status, _, body = call("GET", "/v1/nowhere", "$default", claims=customer_claims("c1"))
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_idempotency_key_replays_and_rejects_reuse(aws: dict[str, str]) -> None:
    """GIVEN a POST with an Idempotency-Key WHEN repeated THEN replayed, acting once; the same
    key with another body is 409; another caller's same key is independent."""
    CALLS.clear()
    me, other = customer_claims("c1"), customer_claims("c2")
    key = {"idempotency-key": "k-1"}
    first = call("POST", "/v1/probe", "POST /v1/probe", b'{"x": 5}', me, key)
    again = call("POST", "/v1/probe", "POST /v1/probe", b'{"x":5}', me, key)
    assert first[0] == again[0] == 201 and first[2] == again[2] == {"x": 5, "n": 1, "probe_id": None}
    assert again[1].get("idempotency-replayed") == "true" and "idempotency-replayed" not in first[1]
    reused = call("POST", "/v1/probe", "POST /v1/probe", b'{"x": 6}', me, key)
    assert reused[0] == 409 and reused[2]["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    theirs = call("POST", "/v1/probe", "POST /v1/probe", b'{"x": 6}', other, key)
    assert theirs[0] == 201 and CALLS == [5, 6]


def test_requests_resolved_on_threads_do_not_mix() -> None:
    """GIVEN one process serving requests on threads (the local runtime) WHEN 200 requests for
    different ids are resolved at once THEN each answer is for its own request."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> bool:
        pid = f"o_{i:020x}"
        event = build_event(
            "GET",
            f"/v1/probe/{pid}",
            "GET /v1/probe/{probe_id}",
            {"probe_id": pid},
            None,
            None,
            None,
            customer_claims(f"c{i}"),
        )
        status, _, raw = parse_result(api.handler(event, LambdaContext("probe")))
        return status == 200 and json.loads(raw)["probe_id"] == pid

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, range(200)))
