"""Request bodies as an attacker sends them, on every POST route that takes one (found in the
handlers' OpenAPI document, so a new route is covered without editing this file): nesting
deeper than any real body, a JSON array or scalar instead of an object, numbers and flags of
the wrong JSON type, numbers too long to parse, control characters in free text. Each is a 4xx
naming the field where there is one, and the table is exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cancelflow.http.fields import TEXT_PATTERN

from infra.openapi import merged
from tests.api.conftest import Resp, call, table_snapshot
from tests.api.world import (
    DELIVERED,
    OWNER,
    PAID_FOR_DELIVERY,
    PENDING,
    REJECTED_REQUEST,
    UNPAID_FOR_PAYMENT,
)

TASK = "tk_" + "0" * 20  # well-formed: validation runs before any lookup
REFUND = "rf_" + "0" * 20
PATH_IDS = {"order_id": PENDING, "request_id": REJECTED_REQUEST, "task_id": TASK, "refund_id": REFUND}

# A body each route accepts in the world (tests/api/world.py), so that a single wrong value in
# it is the only thing wrong: (path parameters, caller, body).
VALID: dict[str, tuple[dict[str, str], str, dict[str, Any]]] = {
    "POST /v1/orders/{order_id}/cancellations": (
        {"order_id": PENDING},
        "owner",
        {"action": "self_cancel", "reason_code": "changed_mind"},
    ),
    "POST /v1/orders/{order_id}/cancellations/{request_id}/appeal": (
        {"order_id": DELIVERED, "request_id": REJECTED_REQUEST},
        "owner",
        {"text": "卡密显示已被使用,请复核", "refund_to": "balance"},
    ),
    "POST /v1/orders/{order_id}/cancellations/{request_id}/answer": (
        {"order_id": DELIVERED, "request_id": REJECTED_REQUEST},
        "owner",
        {"text": "充值账号是 12345,截图已上传"},
    ),
    "POST /v1/orders/{order_id}/threads/{subject_id}/messages": (
        {"order_id": DELIVERED, "subject_id": REJECTED_REQUEST},
        "owner",
        {"text": "请问审核进度?"},
    ),
    "POST /v1/orders/{order_id}/evidence-uploads": (
        {"order_id": PENDING},
        "owner",
        {"content_type": "image/png"},
    ),
    "POST /v1/platform/orders": (
        {},
        "platform",
        {"customer_id": OWNER, "product_id": "p-game_card", "quantity": 1},
    ),
    "POST /v1/platform/payments": (
        {},
        "platform",
        {"order_id": UNPAID_FOR_PAYMENT, "payment_id": "pay-strict-1", "amount": 10000, "channel": "alipay"},
    ),
    "POST /v1/platform/orders/{order_id}/fulfilment": (
        {"order_id": PAID_FOR_DELIVERY},
        "platform",
        {"action": "start"},
    ),
    "POST /v1/orders/{order_id}/refunds/{refund_id}/fix": (
        {"order_id": PENDING, "refund_id": REFUND},
        "owner",
        {"fix": "to_balance"},
    ),
    "POST /v1/orders/{order_id}/refunds/{refund_id}/new-card": (
        {"order_id": PENDING, "refund_id": REFUND},
        "owner",
        {"bank_type": "ICBC_DEBIT", "account": "6222020000001234", "real_name": "李雷"},
    ),
    "POST /v1/orders/{order_id}/manual-refunds": (
        {"order_id": PENDING},
        "support",
        {"amount": 100, "channel": "bank_card", "reference": "BT-1", "note": "转账"},
    ),
    "POST /v1/refunds/{refund_id}/switch-to-balance": (
        {"refund_id": REFUND},
        "support",
        {"consent": "T-1", "note": "电话同意"},
    ),
    "POST /v1/dispute-records/verify": ({}, "support", {"record": {"issuer": "cancelflow"}}),
    "POST /v1/stock/products/{product_id}/keys/{key_id}/release": (
        {"product_id": "p-game_card", "key_id": "p-game_card-k019"},
        "support",
        {"reason": "供应商确认卡密未被读取"},
    ),
    "POST /v1/stock/products/{product_id}/keys/{key_id}/void": (
        {"product_id": "p-game_card", "key_id": "p-game_card-k019"},
        "support",
        {"reason": "may have been shown to the supplier"},
    ),
    "POST /v1/customers/{customer_id}/flag": (
        {"customer_id": OWNER},
        "support",
        {"flagged": True, "reason": "chargeback on two orders"},
    ),
    "POST /v1/orders/{order_id}/lost-payments": (
        {"order_id": DELIVERED},
        "support",
        {
            "payment_id": "trade-lost-1",
            "amount": 10000,
            "channel": "wechat_pay",
            "note": "支付宝后台显示已支付",
        },
    ),
    "POST /v1/orders/{order_id}/staff-cancel": (
        {"order_id": DELIVERED},
        "support",
        {"reason": "fraud", "note": "盗刷,风控确认", "restock": "void"},
    ),
    "POST /v1/reviews/{task_id}/decision": (
        {"task_id": TASK},
        "reviewer",
        {
            "outcome": "approve",
            "checklist": {
                "order_status_verified": True,
                "evidence_judged": True,
                "refund_path_confirmed": True,
            },
        },
    ),
}


def _doc() -> dict[str, Any]:
    return merged()


def body_routes() -> list[str]:
    """Every route whose operation takes a request body, as "METHOD /path"."""
    return sorted(
        f"{method.upper()} {path}"
        for path, ops in _doc()["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    )


def _path(route: str, params: dict[str, str]) -> str:
    path = route.split(" ", 1)[1]
    for name, value in {**PATH_IDS, **params}.items():
        path = path.replace("{" + name + "}", value)
    return path


def send(route: str, body: Any, *, raw: bytes | None = None) -> Resp:
    params, who, _ = VALID[route]
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    return call("POST", _path(route, params), data, who=who)


def refused(resp: Resp, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert (resp.status, resp.code) == (status, code), resp.raw
    details: dict[str, Any] = resp.json["error"]["details"]
    if field is not None:
        named = {details.get("field")} | {e.get("field") for e in details.get("errors", [])}
        assert field in named, (field, details)
    return details


# ---------------------------------------------------------------- the fields of every body model


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def _kinds(schema: dict[str, Any]) -> set[str]:
    """The JSON types a property takes (through anyOf for optional fields)."""
    if "anyOf" in schema:
        return set().union(*(_kinds(s) for s in schema["anyOf"]))
    t = schema.get("type")
    return {t} if isinstance(t, str) else set(t or ())


def leaf_fields(route: str) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path inside the body, schema) of every property, nested objects walked."""
    doc = _doc()
    method, path = route.split(" ", 1)
    op = doc["paths"][path][method.lower()]
    root = _resolve(op["requestBody"]["content"]["application/json"]["schema"], doc)

    def walk(schema: dict[str, Any], at: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
        for name, prop in schema.get("properties", {}).items():
            prop = _resolve(prop, doc)
            if "properties" in prop:
                yield from walk(prop, (*at, name))
            else:
                yield (*at, name), prop

    yield from walk(root, ())


def with_value(base: dict[str, Any], at: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(base))
    node = body
    for part in at[:-1]:
        node = node.setdefault(part, {})
    node[at[-1]] = value
    return dict(body)


WRONG_NUMBERS: list[Any] = [True, False, "100", 1.5]  # (100.0 is an integer to JSON Schema)
WRONG_FLAGS: list[Any] = ["yes", "on", "true", 1, 0]


def typed_cases() -> list[tuple[str, tuple[str, ...], Any]]:
    out = []
    for route in body_routes():
        for at, schema in leaf_fields(route):
            kinds = _kinds(schema)
            if "integer" in kinds or "number" in kinds:
                out += [(route, at, v) for v in WRONG_NUMBERS]
            elif "boolean" in kinds:
                out += [(route, at, v) for v in WRONG_FLAGS]
    return out


def _is_free_text(schema: dict[str, Any]) -> bool:
    """A string no enum, constant, format or pattern restricts (but the free-text rule's)."""
    if schema.get("type") != "string" or {"enum", "const", "format"} & set(schema):
        return False
    return bool(schema.get("pattern", TEXT_PATTERN) == TEXT_PATTERN)


def free_text_cases() -> list[tuple[str, tuple[str, ...]]]:
    """String fields a person writes: nothing but the free-text rule restricts them. (Lists of
    strings are object keys, e.g. evidence, checked as keys by the use case.)"""
    out = []
    for route in body_routes():
        for at, schema in leaf_fields(route):
            if any(_is_free_text(s) for s in schema.get("anyOf", [schema])):
                out.append((route, at))
    return out


TYPED = typed_cases()
FREE_TEXT = free_text_cases()


def test_every_body_route_has_a_valid_body_here(world: dict[str, str]) -> None:
    """GIVEN every route that takes a body THEN this file knows a body it accepts (a new
    route must be added to VALID), and that body alone is not refused as malformed."""
    assert set(body_routes()) == set(VALID)
    assert TYPED and FREE_TEXT  # the introspection found fields


# ---------------------------------------------------------------- 1. nesting


DEEP = 1000


@pytest.mark.parametrize("route", body_routes())
@pytest.mark.parametrize("shape", ["arrays", "objects", "inside-a-field"])
def test_a_body_nested_a_thousand_levels_deep_is_malformed_not_a_crash(
    world: dict[str, str], route: str, shape: str
) -> None:
    """GIVEN a body nested 1,000 levels deep WHEN POSTed to a route THEN 400 MALFORMED_BODY
    (not a 500 from the parser's recursion) and nothing is stored."""
    raw = {
        "arrays": b"[" * DEEP + b"]" * DEEP,
        "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
        "inside-a-field": b'{"action": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    }[shape]
    before = table_snapshot()
    details = refused(send(route, None, raw=raw), 400, "MALFORMED_BODY", "body")
    assert details["max_depth"] >= 32
    assert table_snapshot() == before


def test_nesting_up_to_the_limit_is_parsed(world: dict[str, str]) -> None:
    """GIVEN a value nested just inside the limit WHEN POSTed THEN it reaches validation
    (422 naming the field), so the limit refuses only what is deeper."""
    from cancelflow.http.body import MAX_DEPTH

    route = "POST /v1/platform/orders/{order_id}/fulfilment"
    inner = b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1)
    refused(send(route, None, raw=b'{"action": ' + inner + b"}"), 422, "VALIDATION_FAILED", "body.action")
    refused(send(route, None, raw=b'{"action": [' + inner + b"]}"), 400, "MALFORMED_BODY", "body")


# ---------------------------------------------------------------- 4. not an object


@pytest.mark.parametrize("route", body_routes())
@pytest.mark.parametrize("shape", ["array-of-valid", "empty-array", "string", "number", "true"])
def test_a_body_that_is_not_a_json_object_is_refused(world: dict[str, str], route: str, shape: str) -> None:
    """GIVEN a valid body wrapped in an array (or a bare string, number, boolean) WHEN POSTed
    THEN 422 naming the body, never its first element taken as the body; nothing stored."""
    good = VALID[route][2]
    body = {
        "array-of-valid": [good, {"junk": 1}],
        "empty-array": [],
        "string": "self_cancel",
        "number": 1,
        "true": True,
    }[shape]
    before = table_snapshot()
    details = refused(send(route, body), 422, "VALIDATION_FAILED", "body")
    assert details["field"] == "body"
    assert table_snapshot() == before


# ---------------------------------------------------------------- 3. strict types


@pytest.mark.parametrize(
    ("route", "at", "value"), TYPED, ids=[f"{r}:{'.'.join(a)}={v!r}" for r, a, v in TYPED]
)
def test_a_number_or_flag_of_the_wrong_json_type_is_refused(
    world: dict[str, str], route: str, at: tuple[str, ...], value: Any
) -> None:
    """GIVEN a route's valid body with one number or flag of the wrong JSON type (true, "100" or
    1.5 for a whole number, "yes"/"on"/1 for a flag) WHEN POSTed THEN 422 naming that field, no
    coercion, nothing stored."""
    before = table_snapshot()
    refused(
        send(route, with_value(VALID[route][2], at, value)), 422, "VALIDATION_FAILED", ".".join(("body", *at))
    )
    assert table_snapshot() == before


def test_amount_true_is_not_a_one_fen_payment(world: dict[str, str]) -> None:
    """GIVEN an unpaid order WHEN the platform posts a payment with "amount": true THEN 422
    naming body.amount and the order is still unpaid (it was recorded as 1 fen)."""
    route = "POST /v1/platform/payments"
    before = table_snapshot()
    refused(send(route, {**VALID[route][2], "amount": True}), 422, "VALIDATION_FAILED", "body.amount")
    refused(send(route, {**VALID[route][2], "amount": "10000"}), 422, "VALIDATION_FAILED", "body.amount")
    assert table_snapshot() == before


@pytest.mark.parametrize("route", body_routes())
@pytest.mark.parametrize("number", [b"1" * 5000, b"1e400", b"NaN", b"-Infinity"])
def test_a_number_json_cannot_hold_is_malformed_not_a_crash(
    world: dict[str, str], route: str, number: bytes
) -> None:
    """GIVEN a body with a 5,000-digit integer (beyond Python's int parsing limit), an
    overflowing exponent or NaN/Infinity (not JSON) WHEN POSTed THEN a 4xx, never a 500;
    nothing stored."""
    before = table_snapshot()
    resp = send(route, None, raw=b'{"amount": ' + number + b', "quantity": ' + number + b"}")
    assert resp.status in (400, 422) and resp.code in ("MALFORMED_BODY", "VALIDATION_FAILED"), resp.raw
    assert table_snapshot() == before


# ---------------------------------------------------------------- 8. control characters


@pytest.mark.parametrize(("route", "at"), FREE_TEXT, ids=[f"{r}:{'.'.join(a)}" for r, a in FREE_TEXT])
@pytest.mark.parametrize(
    "char", ["\x00", "\x1b", "\x7f", "\x85", "\ud800"], ids=["nul", "esc", "del", "c1", "surrogate"]
)
def test_control_characters_in_free_text_are_refused(
    world: dict[str, str], route: str, at: tuple[str, ...], char: str
) -> None:
    """GIVEN a free-text field (a reason, an appeal, a note, a target) with a NUL, another
    control character or a lone surrogate WHEN POSTed THEN 422 naming the field; nothing
    stored. (Tab and line breaks are text: tests/api/test_hardening_http.py.)"""
    before = table_snapshot()
    raw = json.dumps(with_value(VALID[route][2], at, f"问题{char}说明")).encode()  # \u escapes
    refused(send(route, None, raw=raw), 422, "VALIDATION_FAILED", ".".join(("body", *at)))
    assert table_snapshot() == before
