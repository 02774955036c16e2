"""local/apigw.py: the event API Gateway (HTTP API, payload 2.0) builds, and its reading of a
Lambda's answer. The local runtime's gateway and these tests depend on it."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from local.apigw import build_event, claims_value, match_route, parse_result


@dataclass(frozen=True)
class R:
    method: str
    path: str


def test_event_shape() -> None:
    """GIVEN a POST with a JSON body, repeated query keys and a cookie THEN the v2 shape:
    lower-case headers, comma-joined repeats, cookies apart, text body, JWT claims as strings."""
    e = build_event(
        "post",
        "/v1/orders/o_1/cancellations",
        "POST /v1/orders/{order_id}/cancellations",
        {"order_id": "o_1"},
        [("Content-Type", "application/json"), ("X-A", "1"), ("x-a", "2"), ("Cookie", "a=1; b=2")],
        [("tag", "x"), ("tag", "y")],
        b'{"action": "self_cancel"}',
        {"sub": "c1", "cognito:groups": ["customer", "support"], "exp": 1700000000},
    )
    assert e["version"] == "2.0" and e["routeKey"] == e["requestContext"]["routeKey"]
    assert e["headers"]["x-a"] == "1,2" and e["cookies"] == ["a=1", "b=2"] and "cookie" not in e["headers"]
    assert e["queryStringParameters"] == {"tag": "x,y"} and e["rawQueryString"] == "tag=x&tag=y"
    assert e["body"] == '{"action": "self_cancel"}' and e["isBase64Encoded"] is False
    assert e["requestContext"]["http"]["method"] == "POST"
    claims = e["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims == {"sub": "c1", "cognito:groups": "[customer support]", "exp": "1700000000"}


def test_binary_or_invalid_utf8_body_arrives_base64() -> None:
    """GIVEN a PNG body, or JSON that is not UTF-8 THEN base64 with isBase64Encoded."""
    for ctype, raw in (("image/png", b"\x89PNG\r\n"), ("application/json", b'{"a": "\xff"}')):
        e = build_event("POST", "/x", None, None, {"content-type": ctype}, None, raw, None)
        assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == raw
        assert "authorizer" not in e["requestContext"] and e["routeKey"] == "$default"


def test_parse_result() -> None:
    """GIVEN a Lambda's answers THEN (status, headers, bytes), as API Gateway reads them."""
    assert parse_result({"statusCode": 201, "headers": {"X-A": "1"}, "body": "{}"}) == (
        201,
        {"x-a": "1"},
        b"{}",
    )
    b64 = {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    assert parse_result(b64)[2] == b"\x00\x01"
    status, headers, body = parse_result({"ok": True})  # no statusCode: a 200 JSON document
    assert (
        status == 200 and json.loads(body) == {"ok": True} and headers["content-type"] == "application/json"
    )


def test_match_route_prefers_literal_segments() -> None:
    """GIVEN /v1/reviews/claim-next and /v1/reviews/{task_id} THEN the literal one wins; params
    are URL-decoded; a wrong method or length matches nothing."""
    routes = [
        R("POST", "/v1/reviews/{task_id}"),
        R("POST", "/v1/reviews/claim-next"),
        R("GET", "/v1/reviews"),
    ]
    assert match_route(routes, "POST", "/v1/reviews/claim-next") == (routes[1], {})
    assert match_route(routes, "POST", "/v1/reviews/t%5F1") == (routes[0], {"task_id": "t_1"})
    assert match_route(routes, "DELETE", "/v1/reviews") is None
    assert match_route(routes, "GET", "/v1/reviews/a/b") is None
    assert claims_value(True) == "true"
