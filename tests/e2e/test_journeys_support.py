"""Journeys through support's tools (docs/domain.md, "Support's tools") over HTTP: a lost payment
confirmed twice is applied once, by support; a staff cancel of a paid order refunds it once in
full and voids its keys, or puts them back on sale; a second staff cancel, a delivered order,
an unknown order, the wrong role or a bad body is a clear error and changes nothing. After each
journey the domain invariants hold over the whole table."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import httpx
import pytest

from local import invariants, launcher
from tests.e2e.conftest import (
    PLATFORM,
    Api,
    cancel,
    customer,
    detail,
    eventually,
    fulfil,
    new_order,
    pay,
)

SUPPORT = ("sup-tools-e2e", "support")
UNKNOWN = "o_" + "0" * 20


@pytest.fixture
def holds(runtime: launcher.Running) -> Any:
    """After the journey: the invariants hold over everything in the table."""
    yield
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.urls["aws"],
        region_name="ap-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items = invariants.scan(ddb, "cancelflow")
    assert invariants.check(items) == {name: [] for name in invariants.check([])}


def _lost(api: Api, order_id: str, body: Any, who: tuple[str, ...] = SUPPORT) -> httpx.Response:
    return api.call("POST", f"/v1/orders/{order_id}/lost-payments", who, body)


def _staff_cancel(api: Api, order_id: str, body: Any, who: tuple[str, ...] = SUPPORT) -> httpx.Response:
    return api.call("POST", f"/v1/orders/{order_id}/staff-cancel", who, body)


def _timeline(api: Api, cust: tuple[str, str], order_id: str) -> dict[str, Any]:
    return dict(api.ok("GET", f"/v1/orders/{order_id}/timeline", cust))


def _counts(available: int, voided: int = 0, quarantined: int = 0, reserved: int = 0) -> dict[str, int]:
    return {
        "available": available,
        "reserved": reserved,
        "quarantined": quarantined,
        "delivered": 0,
        "voided": voided,
    }


def _paid_order(api: Api, keys: int = 5) -> tuple[str, tuple[str, str], dict[str, Any]]:
    pid, cust = api.product(keys=keys), customer()
    order = new_order(api, cust, pid)
    pay(api, order, "alipay")
    return pid, cust, order


def _refunds_succeeded(api: Api, cust: tuple[str, str], order_id: str) -> list[dict[str, Any]] | None:
    refunds = list(detail(api, cust, order_id)["cancellation"]["refunds"])
    return refunds if refunds and all(r["status"] == "succeeded" for r in refunds) else None


# ---------------------------------------------------------------- lost payment


def test_a_lost_payment_confirmed_twice_is_applied_once(api: Api, holds: None) -> None:
    """GIVEN an unpaid order whose payment callback never came WHEN support confirms the
    payment, then again THEN the order is paid once (one payment, its amount), the second
    answer is a replay, and the order's history says support did it; the same trade with
    another amount is PAYMENT_CONFLICT and changes nothing."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    trade = f"trade-{uuid.uuid4().hex[:12]}"
    body = {
        "payment_id": trade,
        "amount": order["amount"],
        "channel": "wechat_pay",
        "note": "商户后台显示已支付",
    }
    first = _lost(api, order["order_id"], body)
    assert first.status_code == 200, first.text
    assert (first.json()["applied"], first.json()["replayed"]) == (True, False)
    assert first.json()["order"]["status"] == "paid"
    again = _lost(api, order["order_id"], body)
    assert again.status_code == 200, again.text
    assert (again.json()["applied"], again.json()["replayed"]) == (True, True)
    api.error(_lost(api, order["order_id"], {**body, "amount": order["amount"] + 1}), 409, "PAYMENT_CONFLICT")

    seen = detail(api, cust, order["order_id"])["order"]
    assert seen["status"] == "paid" and seen["paid_amount"] == order["amount"]
    paid = [e for e in _timeline(api, cust, order["order_id"])["entries"] if e["event"] == "order.paid"]
    assert [(e["actor"], e["amount"], e["channel"]) for e in paid] == [
        ("support", order["amount"], "wechat_pay")
    ]
    # the provider's callback arriving after all is the same payment: a replay
    late = api.ok(
        "POST",
        "/v1/platform/payments",
        PLATFORM,
        {
            "order_id": order["order_id"],
            "payment_id": trade,
            "amount": order["amount"],
            "channel": "wechat_pay",
        },
    )
    assert late["replayed"] is True
    assert detail(api, cust, order["order_id"])["order"]["paid_amount"] == order["amount"]


# ---------------------------------------------------------------- staff cancel


def test_staff_cancel_with_void_refunds_once_and_voids_the_keys(api: Api, holds: None) -> None:
    """GIVEN a paid order WHEN support cancels it for fraud with restock void THEN it is
    cancelled by support with that reason, refunded once in full to its channel, and its key
    is voided (stock counts: one voided, never back on sale); a second staff cancel is
    ORDER_CANCELLED and changes nothing."""
    pid, cust, order = _paid_order(api)
    assert api.stock(pid) == _counts(available=4, reserved=1)
    body = {"reason": "fraud", "note": "盗刷,风控确认", "restock": "void"}
    r = _staff_cancel(api, order["order_id"], body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["order"]["status"] == "cancelled" and out["order"]["cancelled_by"] == "support"
    assert out["order"]["cancel_reason"] == "fraud" and len(out["refund_ids"]) == 1
    assert api.stock(pid) == _counts(available=4, voided=1)

    refunds = eventually(lambda: _refunds_succeeded(api, cust, order["order_id"]), timeout=60)
    assert [(r["refund_id"], r["amount"]) for r in refunds] == [(out["refund_ids"][0], order["amount"])]
    again = _staff_cancel(api, order["order_id"], {**body, "restock": "stock"})
    api.error(again, 409, "ORDER_CANCELLED")
    assert api.stock(pid) == _counts(available=4, voided=1)
    seen = detail(api, cust, order["order_id"])
    assert seen["order"]["refunded_amount"] == order["amount"] and len(seen["cancellation"]["refunds"]) == 1
    cancelled = [
        e for e in _timeline(api, cust, order["order_id"])["entries"] if e["event"] == "order.cancelled"
    ]
    assert [(e["actor"], e["reason"]) for e in cancelled] == [("support", "fraud")]


def test_staff_cancel_with_stock_puts_the_keys_back_on_sale(api: Api, holds: None) -> None:
    """GIVEN a paid order WHEN support cancels it for a stock error with restock stock THEN
    its key is available again (sold to the next order) and the order refunded in full; an
    order whose delivery started keeps its key quarantined (a person releases it)."""
    pid, cust, order = _paid_order(api, keys=2)
    r = _staff_cancel(
        api, order["order_id"], {"reason": "stock_error", "note": "库存错误", "restock": "stock"}
    )
    assert r.status_code == 200, r.text
    assert api.stock(pid) == _counts(available=2)
    eventually(lambda: _refunds_succeeded(api, cust, order["order_id"]), timeout=60)

    started = new_order(api, customer(), pid)
    pay(api, started, "alipay")
    fulfil(api, started["order_id"], "start")
    body = {"reason": "supplier_failure", "note": "供应商接口故障", "restock": "stock"}
    r = _staff_cancel(api, started["order_id"], body)
    assert r.status_code == 200, r.text
    assert api.stock(pid) == _counts(available=1, quarantined=1)


def test_a_delivered_order_is_after_sales_not_a_staff_cancel(api: Api, holds: None) -> None:
    """GIVEN a delivered order WHEN support tries a staff cancel THEN ORDER_NOT_CANCELLABLE
    (after-sales), and nothing changes."""
    pid, cust, order = _paid_order(api)
    fulfil(api, order["order_id"], "start")
    fulfil(api, order["order_id"], "complete")
    before = detail(api, cust, order["order_id"])
    r = _staff_cancel(api, order["order_id"], {"reason": "fraud", "note": "x", "restock": "void"})
    assert api.error(r, 409, "ORDER_NOT_CANCELLABLE")["details"]["why"] == "after_sales"
    assert detail(api, cust, order["order_id"]) == before
    assert api.stock(pid) == {**_counts(available=4), "delivered": 1}


def test_a_customers_cancel_first_makes_the_staff_cancel_order_cancelled(api: Api, holds: None) -> None:
    """GIVEN an unpaid order its customer cancelled WHEN support cancels it THEN ORDER_CANCELLED:
    the customer's cancellation stands."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    r = cancel(api, cust, order["order_id"], action="self_cancel", reason_code="changed_mind")
    assert r.status_code in (200, 201), r.text
    api.error(_staff_cancel(api, order["order_id"], {"reason": "fraud", "note": "x", "restock": "void"}), 409)
    assert detail(api, cust, order["order_id"])["order"]["cancelled_by"] == "customer"
    assert api.stock(pid) == _counts(available=5)


# ---------------------------------------------------------------- bad input


def test_bad_input_is_a_clear_error_and_changes_nothing(api: Api, holds: None) -> None:
    """GIVEN a paid order WHEN support's tools are called for an unknown order, by the customer,
    or with a bad body THEN each is a clear error and the order and its stock are unchanged."""
    pid, cust, order = _paid_order(api)
    oid = order["order_id"]
    good_cancel = {"reason": "fraud", "note": "盗刷", "restock": "void"}
    good_lost = {"payment_id": "trade-x1", "amount": order["amount"], "channel": "alipay", "note": "见后台"}
    before, stock = detail(api, cust, oid), api.stock(pid)

    api.error(_staff_cancel(api, UNKNOWN, good_cancel), 404, "ORDER_NOT_FOUND")
    api.error(_lost(api, UNKNOWN, good_lost), 404, "ORDER_NOT_FOUND")
    api.error(_staff_cancel(api, oid, good_cancel, who=cust), 403, "FORBIDDEN")
    api.error(_lost(api, oid, good_lost, who=cust), 403, "FORBIDDEN")
    api.error(_staff_cancel(api, oid, good_cancel, who=PLATFORM), 403, "FORBIDDEN")
    for bad in (
        {**good_cancel, "reason": "changed_mind"},
        {**good_cancel, "restock": "sell"},
        {**good_cancel, "note": ""},
        {**good_cancel, "note": "   "},
        {k: v for k, v in good_cancel.items() if k != "note"},
        {**good_cancel, "amount": 1},
    ):
        api.error(_staff_cancel(api, oid, bad), 422, "VALIDATION_FAILED")
    for bad in (
        {**good_lost, "amount": 0},
        {**good_lost, "amount": "100"},
        {**good_lost, "channel": "cash"},
        {**good_lost, "note": " "},
        {**good_lost, "payment_id": "../x"},
    ):
        api.error(_lost(api, oid, bad), 422, "VALIDATION_FAILED")
    assert detail(api, cust, oid) == before and api.stock(pid) == stock
