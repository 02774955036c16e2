"""Bad input to every lifecycle operation on moto.

GIVEN orders in every state WHEN an operation gets bad input (unknown product or order, a bad
quantity, a wrong state, a payment id of another order) THEN it raises a
DomainError with a stable code and the table is exactly as before (full scan compared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import customers, orders, payments, stock
from msgspec.structs import replace

from tests.conftest import NOW, moto_stack
from tests.integration.lifecycle_world import snapshot

T = NOW + timedelta(minutes=5)  # every bad call happens here: pending orders are still in time
World = dict[str, Any]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """Orders of c1 in each state (the held one belongs to a flagged, high-risk customer).

    Built once for the module: every case must leave the table unchanged, which each asserts."""
    with moto_stack():
        yield _build()


def _build() -> World:
    for t, price in ((ProductType.GAME_CARD, 10000), (ProductType.MOBILE_TOPUP, 5000)):
        stock.put_product(f"p-{t.value}", t, price, "商品", "product")
    stock.add_keys("p-game_card", ((f"k{i:03d}", f"CODE-{i:04d}") for i in range(20)))
    card = "p-game_card"
    stock.put_product("p-small", ProductType.GAME_CARD, 500, "小", "small")
    stock.add_keys("p-small", [("s1", "C1"), ("s2", "C2"), ("s3", "C3")])
    customers.set_flag("risky", True)

    def paid(customer: str, pay: str) -> str:
        o = orders.create_order(customer, card, 1, NOW)
        payments.confirm_payment(o.order_id, pay, o.amount, Channel.ALIPAY, NOW + timedelta(minutes=1))
        return o.order_id

    w: World = {"card": card, "topup": "p-mobile_topup"}
    w["pending"] = orders.create_order("c1", card, 1, NOW).order_id
    w["paid"] = paid("c1", "pay-paid")
    w["held"] = paid("risky", "pay-held")
    submit_cancellation.submit(
        "risky", w["held"], Submission(action=Action.REQUEST), NOW + timedelta(minutes=2)
    )
    w["delivering"] = paid("c1", "pay-delivering")
    orders.start_delivery(w["delivering"], NOW + timedelta(minutes=2))
    w["delivered"] = paid("c1", "pay-delivered")
    orders.start_delivery(w["delivered"], NOW + timedelta(minutes=2))
    orders.complete_delivery(w["delivered"], NOW + timedelta(minutes=3))
    w["cancelled"] = orders.create_order("c1", card, 1, NOW).order_id
    orders.self_cancel(orders.require_order(w["cancelled"]), NOW + timedelta(minutes=1))
    return w


def _o(w: World, name: str) -> Any:
    return orders.require_order(w[name])


Case = tuple[str, Callable[[World], object], str]
CASES: list[Case] = [
    # create_order
    ("create: unknown product", lambda w: orders.create_order("c1", "p-nope", 1, T), "PRODUCT_NOT_FOUND"),
    ("create: zero", lambda w: orders.create_order("c1", w["card"], 0, T), "INVALID_QUANTITY"),
    ("create: negative", lambda w: orders.create_order("c1", w["card"], -1, T), "INVALID_QUANTITY"),
    ("create: bool", lambda w: orders.create_order("c1", w["card"], True, T), "INVALID_QUANTITY"),
    ("create: float", lambda w: orders.create_order("c1", w["card"], 1.0, T), "INVALID_QUANTITY"),  # type: ignore[arg-type]
    ("create: text", lambda w: orders.create_order("c1", w["card"], "1", T), "INVALID_QUANTITY"),  # type: ignore[arg-type]
    ("create: too large", lambda w: orders.create_order("c1", w["card"], 21, T), "INVALID_QUANTITY"),
    ("create: 2 top-ups", lambda w: orders.create_order("c1", w["topup"], 2, T), "INVALID_QUANTITY"),
    ("create: stock short", lambda w: orders.create_order("c1", "p-small", 4, T), "OUT_OF_STOCK"),
    (
        "create: id taken",
        lambda w: orders.create_order("c1", w["card"], 1, T, order_id=w["paid"]),
        "CONFLICT",
    ),
    # confirm_payment
    (
        "pay: unknown order",
        lambda w: payments.confirm_payment("o_nope", "pay-x", 10000, Channel.ALIPAY, T),
        "ORDER_NOT_FOUND",
    ),
    (
        "pay: id of another order",
        lambda w: payments.confirm_payment(w["pending"], "pay-paid", 10000, Channel.ALIPAY, T),
        "PAYMENT_CONFLICT",
    ),
    # start_delivery
    ("start: unknown order", lambda w: orders.start_delivery("o_nope", T), "ORDER_NOT_FOUND"),
    ("start: unpaid", lambda w: orders.start_delivery(w["pending"], T), "ORDER_NOT_CANCELLABLE"),
    ("start: held", lambda w: orders.start_delivery(w["held"], T), "ORDER_HELD"),
    ("start: delivering", lambda w: orders.start_delivery(w["delivering"], T), "CONFLICT"),
    ("start: delivered", lambda w: orders.start_delivery(w["delivered"], T), "ORDER_NOT_CANCELLABLE"),
    ("start: cancelled", lambda w: orders.start_delivery(w["cancelled"], T), "ORDER_NOT_CANCELLABLE"),
    # complete / fail delivery, complete order
    ("deliver: unknown order", lambda w: orders.complete_delivery("o_nope", T), "ORDER_NOT_FOUND"),
    ("deliver: paid", lambda w: orders.complete_delivery(w["paid"], T), "CONFLICT"),
    ("deliver: delivered", lambda w: orders.complete_delivery(w["delivered"], T), "CONFLICT"),
    ("fail: paid", lambda w: orders.fail_delivery(w["paid"], T), "CONFLICT"),
    ("fail: unknown order", lambda w: orders.fail_delivery("o_nope", T), "ORDER_NOT_FOUND"),
    ("complete: unknown order", lambda w: orders.complete_order("o_nope", T), "ORDER_NOT_FOUND"),
    ("complete: delivering", lambda w: orders.complete_order(w["delivering"], T), "CONFLICT"),
    ("complete: cancelled", lambda w: orders.complete_order(w["cancelled"], T), "CONFLICT"),
    # self_cancel (takes the order read by the caller)
    ("self-cancel: paid", lambda w: orders.self_cancel(_o(w, "paid"), T), "ALREADY_PAID"),
    ("self-cancel: delivered", lambda w: orders.self_cancel(_o(w, "delivered"), T), "ALREADY_PAID"),
    ("self-cancel: cancelled", lambda w: orders.self_cancel(_o(w, "cancelled"), T), "ORDER_CANCELLED"),
    (
        "self-cancel: overdue",
        lambda w: orders.self_cancel(_o(w, "pending"), NOW + timedelta(minutes=15)),
        "ORDER_EXPIRED",
    ),
    (
        "self-cancel: stale read",
        lambda w: orders.self_cancel(replace(_o(w, "pending"), version=7), T),
        "CONFLICT",
    ),
    # expire_order
    ("expire: in time", lambda w: orders.expire_order(_o(w, "pending"), T), "CONFLICT"),
    ("expire: paid", lambda w: orders.expire_order(_o(w, "paid"), NOW + timedelta(hours=1)), "CONFLICT"),
    # cancel with refund
    (
        "refund-cancel: delivered",
        lambda w: orders.cancel_with_refunds(
            _o(w, "delivered"),
            T,
            actor=Actor.REVIEWER,
            actor_id="r1",
            reason="x",
            refund_to=RefundTo.ORIGINAL,
        ),
        "ORDER_NOT_CANCELLABLE",
    ),
    (
        "refund-cancel: more than paid",
        lambda w: orders.cancel_with_refunds(
            _o(w, "paid"),
            T,
            actor=Actor.REVIEWER,
            actor_id="r1",
            reason="x",
            refund_to=RefundTo.ORIGINAL,
            amount=10001,
        ),
        "AMOUNT_INVALID",
    ),
    # the customer's use case
    (
        "submit: unknown order",
        lambda w: submit_cancellation.submit("c1", "o_nope", Submission(action=Action.REQUEST), T),
        "ORDER_NOT_FOUND",
    ),
    (
        "submit: another customer's order",
        lambda w: submit_cancellation.submit("c2", w["paid"], Submission(action=Action.REQUEST), T),
        "ORDER_NOT_FOUND",
    ),
    (
        "submit: request on unpaid",
        lambda w: submit_cancellation.submit("c1", w["pending"], Submission(action=Action.REQUEST), T),
        "NOT_PAID",
    ),
    (
        "submit: second request while held",
        lambda w: submit_cancellation.submit("risky", w["held"], Submission(action=Action.REQUEST), T),
        "CANCELLATION_IN_PROGRESS",
    ),
    (
        "submit: self-cancel when paid",
        lambda w: submit_cancellation.submit("c1", w["paid"], Submission(action=Action.SELF_CANCEL), T),
        "ALREADY_PAID",
    ),
]


@pytest.mark.parametrize(("name", "call", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_a_stable_code_and_changes_nothing(
    world: World, name: str, call: Callable[[World], object], code: str
) -> None:
    before = snapshot()
    with pytest.raises(DomainError) as e:
        call(world)
    assert e.value.code == code, (name, e.value.code, e.value.details)
    assert snapshot() == before, f"{name} changed the table"


def test_the_world_is_what_the_cases_assume(world: World) -> None:
    """GIVEN the fixture WHEN read back THEN each order is in the state its name says."""
    for name in ("pending", "paid", "delivering", "delivered", "cancelled"):
        assert orders.require_order(world[name]).status is OrderStatus(
            {"pending": "pending_payment"}.get(name, name)
        )
    assert orders.require_order(world["held"]).held
