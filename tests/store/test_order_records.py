"""What each order operation writes, attribute by attribute: the order's changes (and only
those), the one history entry (event, actor, reason, from/to), the keys, and the error a step
in the wrong state answers. GIVEN an order in the state a step needs WHEN the step runs THEN
the stored order differs from before by exactly the step's attributes. (Mutation testing found
these unasserted: a step storing ``stock_locked`` false, or naming another actor, passed.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.policy import policy_version
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.review.decisions import Decision, decide
from cancelflow.settings import get_settings
from cancelflow.store import ddb, history, keys, orders, payments, requests, stock
from cancelflow.store.schema import GSI_STOCK

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item

T1, T2 = world.later(1), world.later(2)
_REQUEST = Submission(action=Action.REQUEST)
ENTRY = ("event", "actor", "actor_id", "reason", "from_status", "to_status")


def _changes(before: ddb.Item, after: ddb.Item) -> tuple[dict[str, Any], set[str]]:
    """(attributes added or changed, with their new values; attributes removed)."""
    return {k: v for k, v in after.items() if before.get(k) != v}, set(before) - set(after)


def _step(order_id: str, run: Callable[[], object]) -> tuple[dict[str, Any], set[str], history.Entry]:
    """Run a step; what it changed on the order, what it removed, and its one new entry."""
    key = world.order_key(order_id)
    before, entries = item(key), history.timeline(order_id)
    returned = run()
    after = item(key)
    if returned is not None and hasattr(returned, "order_id"):
        assert returned == orders.require_order(order_id)  # the step returns what it stored
    new = [e for e in history.timeline(order_id) if e not in entries]
    assert len(new) == 1, new
    changed, removed = _changes(before, after)
    assert changed.pop("version") == before["version"] + 1
    assert changed.pop("updated_at") == iso(new[0].at)
    return changed, removed, new[0]


def _trade(o: Order, refunded: int) -> dict[str, Any]:
    """The order's one trade (world.paid's Alipay payment) as stored, ``refunded`` claimed."""
    return {"payment_id": o.payment_id, "channel": "alipay", "amount": o.paid_amount, "refunded": refunded}


def _entry(e: history.Entry) -> dict[str, Any]:
    return {k: getattr(e, k) for k in ENTRY}


def _key_item(key_id: str) -> ddb.Item:
    return item(world.stock_key(key_id))


def test_creating_an_order_stores_it_unpaid_with_its_keys_reserved(product: str) -> None:
    o = orders.create_order("c1", product, 2, NOW, target="acct-9")
    stored = item(world.order_key(o.order_id))
    assert {k: v for k, v in stored.items() if k not in ("key_ids", "due_pk")} == {
        "pk": f"ORDER#{o.order_id}",
        "sk": "ORDER",
        "type": "order",
        "order_id": o.order_id,
        "customer_id": "c1",
        "product_id": product,
        "product_type": "game_card",
        "quantity": 2,
        "amount": 2 * world.PRICE,
        "currency": "CNY",
        "target": "acct-9",
        "status": "pending_payment",
        "version": 1,
        "created_at": iso(NOW),
        "updated_at": iso(NOW),
        "payment_deadline": iso(o.payment_deadline),
        "paid_amount": 0,
        "refunded_amount": 0,
        "trades": [],  # every payment that arrives is appended (store/payments.py)
        "stock_locked": False,
        "gsi_cust_pk": "CUSTOMER#c1",
        "gsi_cust_sk": f"{iso(NOW)}#{o.order_id}",
        "due_at": iso(o.payment_deadline),
        # the version of the policy it was bought under, whose copy is stored (store/policies.py)
        "policy_version": policy_version(get_settings().policies.for_type(ProductType.GAME_CARD)),
    }
    pinned = item(("POLICY#" + stored["policy_version"], "POLICY"))
    assert pinned["product_type"] == "game_card" and "auto_approve_minutes" in pinned["policy"]
    assert stored["due_pk"].startswith("DUE#EXPIRY#") and sorted(stored["key_ids"]) == sorted(o.key_ids)
    for kid in o.key_ids:
        k = _key_item(kid)
        assert (k["status"], k["order_id"], "stock_pk" in k, "stock_sk" in k) == (
            "reserved",
            o.order_id,
            False,
            False,
        )
    (entry,) = history.timeline(o.order_id)
    assert _entry(entry) == {
        "event": "order.created",
        "actor": "platform",
        "actor_id": "order-service",
        "reason": None,
        "from_status": None,
        "to_status": "pending_payment",
    }
    assert entry.detail == {"quantity": 2, "amount": 2 * world.PRICE}
    day = item((keys.customer_pk("c1"), "DAY#2026-11-27"))
    assert (day["orders"], day["customer_id"]) == (1, "c1")


def test_a_payment_marks_the_order_paid_and_takes_it_off_the_expiry_index(product: str) -> None:
    o = world.unpaid()
    changed, removed, entry = _step(
        o.order_id,
        lambda: payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.WECHAT_PAY, T1).order,
    )
    assert changed == {
        "status": "paid",
        "paid_at": iso(T1),
        "payment_id": "pay-1",
        "payment_channel": "wechat_pay",
        "paid_amount": o.amount,
        "trades": [{"payment_id": "pay-1", "channel": "wechat_pay", "amount": o.amount, "refunded": 0}],
    }
    assert removed == {"due_pk", "due_at"}
    assert _entry(entry) == {
        "event": "order.paid",
        "actor": "platform",
        "actor_id": "payment-service",
        "reason": None,
        "from_status": "pending_payment",
        "to_status": "paid",
    }
    assert entry.detail == {"payment_id": "pay-1", "channel": "wechat_pay", "amount": o.amount}
    record = item((keys.payment_pk("pay-1"), "PAYMENT"))
    assert {k: record.get(k) for k in ("order_id", "amount", "channel", "outcome", "received_at")} == {
        "order_id": o.order_id,
        "amount": o.amount,
        "channel": "wechat_pay",
        "outcome": "applied",
        "received_at": iso(T1),
    }


def test_starting_delivery_locks_the_stock(product: str) -> None:
    o = world.paid()
    changed, removed, entry = _step(o.order_id, lambda: orders.start_delivery(o.order_id, T1))
    assert changed == {"status": "delivering", "stock_locked": True, "delivery_started_at": iso(T1)}
    assert removed == set()
    assert _entry(entry) == {
        "event": "delivery.started",
        "actor": "platform",
        "actor_id": "fulfilment",
        "reason": None,
        "from_status": "paid",
        "to_status": "delivering",
    }


def test_completing_delivery_delivers_the_keys(product: str) -> None:
    o = world.delivering()
    changed, removed, entry = _step(o.order_id, lambda: orders.complete_delivery(o.order_id, T1))
    ends = iso(T1 + timedelta(hours=72))  # the game card's confirmation window, fixed now
    shard = keys.shard(o.order_id, get_settings().due_shards)
    assert changed == {
        "status": "delivered",
        "delivered_at": iso(T1),
        "confirmation_ends_at": ends,
        "due_pk": f"DUE#COMPLETION#{shard:02d}",  # in the completion sweep's index until then
        "due_at": ends,
    }
    assert removed == set()
    assert _entry(entry) == {
        "event": "delivery.completed",
        "actor": "platform",
        "actor_id": "fulfilment",
        "reason": None,
        "from_status": "delivering",
        "to_status": "delivered",
    }
    assert [(_key_item(k)["status"], _key_item(k)["order_id"]) for k in o.key_ids] == [
        ("delivered", o.order_id)
    ]


def test_a_failed_delivery_goes_back_to_paid_with_the_stock_unlocked(product: str) -> None:
    o = world.delivering()
    changed, removed, entry = _step(o.order_id, lambda: orders.fail_delivery(o.order_id, T1))
    assert changed == {"status": "paid", "stock_locked": False}
    assert removed == set()
    assert _entry(entry) == {
        "event": "delivery.failed",
        "actor": "platform",
        "actor_id": "fulfilment",
        "reason": "fulfilment_failed",
        "from_status": "delivering",
        "to_status": "paid",
    }
    assert _key_item(o.key_ids[0])["status"] == "reserved"  # still the order's


def test_completing_an_order_is_recorded_as_the_confirmation(product: str) -> None:
    o = world.delivered()
    changed, removed, entry = _step(o.order_id, lambda: orders.complete_order(o.order_id, T1))
    assert changed == {"status": "completed", "completed_at": iso(T1)}
    assert removed == {"due_pk", "due_at"}  # leaves the completion sweep's index
    assert _entry(entry) == {
        "event": "order.completed",
        "actor": "system",
        "actor_id": "confirmation",
        "reason": None,
        "from_status": "delivered",
        "to_status": "completed",
    }


def _available(key_id: str) -> bool:
    k = _key_item(key_id)
    return k["status"] == "available" and "order_id" not in k and k["stock_pk"].startswith("AVAIL#")


def test_a_customer_cancel_releases_the_keys_and_leaves_the_expiry_index(product: str) -> None:
    o = world.unpaid()
    changed, removed, entry = _step(o.order_id, lambda: orders.self_cancel(o, T1))
    assert changed == {
        "status": "cancelled",
        "cancelled_at": iso(T1),
        "cancelled_by": "customer",
        "cancel_reason": "changed_mind",
    }
    assert removed == {"due_pk", "due_at"}
    assert _entry(entry) == {
        "event": "order.cancelled",
        "actor": "customer",
        "actor_id": "c1",
        "reason": "changed_mind",
        "from_status": "pending_payment",
        "to_status": "cancelled",
    }
    assert _available(o.key_ids[0])


def test_an_expiry_is_the_systems_with_reason_payment_timeout(product: str) -> None:
    o = world.unpaid()
    late = o.payment_deadline
    changed, removed, entry = _step(o.order_id, lambda: orders.expire_order(o, late))
    assert changed == {
        "status": "cancelled",
        "cancelled_at": iso(late),
        "cancelled_by": "system",
        "cancel_reason": "payment_timeout",
    }
    assert removed == {"due_pk", "due_at"}
    assert _entry(entry) == {
        "event": "order.expired",
        "actor": "system",
        "actor_id": "expiry",
        "reason": "payment_timeout",
        "from_status": "pending_payment",
        "to_status": "cancelled",
    }
    assert _available(o.key_ids[0])


def test_a_cancel_with_refund_raises_the_refunded_amount_and_lifts_the_hold(product: str) -> None:
    held, request = world.held(world.paid())
    rid = request.request_id
    out: dict[str, Any] = {}

    def cancel() -> object:
        done, (out["refund"],) = orders.cancel_with_refunds(
            held,
            T1,
            actor=Actor.REVIEWER,
            actor_id="r1",
            reason="changed_mind",
            refund_to=RefundTo.ORIGINAL,
            request_id=rid,
        )
        return done

    changed, removed, entry = _step(held.order_id, cancel)
    assert changed == {
        "status": "cancelled",
        "cancelled_at": iso(T1),
        "cancelled_by": "reviewer",
        "cancel_reason": "changed_mind",
        "refunded_amount": held.paid_amount,
        "trades": [_trade(held, refunded=held.paid_amount)],
    }
    assert removed == {"open_request_id"}
    assert _entry(entry) == {
        "event": "order.cancelled",
        "actor": "reviewer",
        "actor_id": "r1",
        "reason": "changed_mind",
        "from_status": "paid",
        "to_status": "cancelled",
    }
    assert entry.detail == {"refund_id": out["refund"], "amount": held.paid_amount, "request_id": rid}
    refund = item(world.refund_key(out["refund"]))
    assert {k: refund[k] for k in ("order_id", "amount", "channel", "status", "request_id", "source")} == {
        "order_id": held.order_id,
        "amount": held.paid_amount,
        "channel": "alipay",
        "status": "pending",
        "request_id": rid,
        "source": "reviewer",
    }
    assert _available(held.key_ids[0])


def _code(run: Callable[[], object]) -> tuple[str, dict[str, Any]]:
    with pytest.raises(DomainError) as e:
        run()
    return e.value.code, dict(e.value.details or {})


def test_each_step_in_the_wrong_state_says_which_state(product: str) -> None:
    """GIVEN orders in states a step does not apply to WHEN the step runs THEN the error names
    the state found (and nothing is written: the steps decide before writing)."""
    unpaid, paid, delivering = world.unpaid(), world.paid(), world.delivering()
    held, request = world.held(world.paid())
    assert _code(lambda: orders.start_delivery(unpaid.order_id, T1)) == (
        "ORDER_NOT_CANCELLABLE",
        {"status": "pending_payment"},
    )
    assert _code(lambda: orders.start_delivery(delivering.order_id, T1)) == (
        "CONFLICT",
        {"status": "delivering"},
    )
    assert _code(lambda: orders.start_delivery(held.order_id, T1)) == (
        "ORDER_HELD",
        {"request_id": request.request_id},
    )
    steps: list[Callable[[str, datetime], object]] = [
        orders.complete_delivery,
        orders.fail_delivery,
        orders.complete_order,
    ]
    for step in steps:
        assert _code(partial(step, paid.order_id, T1)) == ("CONFLICT", {"status": "paid"})
    assert _code(lambda: orders.expire_order(paid, T1)) == ("CONFLICT", {"status": "paid"})
    assert _code(lambda: orders.self_cancel(paid, T1)) == ("ALREADY_PAID", {"status": "paid"})
    cancelled = orders.self_cancel(unpaid, T1)
    assert _code(lambda: orders.self_cancel(cancelled, T2)) == ("ORDER_CANCELLED", {"status": "cancelled"})
    late = world.unpaid()
    assert _code(lambda: orders.self_cancel(late, late.payment_deadline))[0] == "ORDER_EXPIRED"
    assert _code(lambda: requests.get_request(paid.order_id, "rq_missing")) == (
        "REQUEST_NOT_FOUND",
        {"request_id": "rq_missing"},
    )


def test_a_query_reads_every_page_of_an_index(product: str) -> None:
    """GIVEN more items in an index partition than one page holds WHEN all are queried THEN
    every page is read, on that index."""
    stock.add_keys(product, ((f"x{i}", f"X-{i}") for i in range(12)))
    by_part: dict[str, set[str]] = {}
    for k in stock.product_keys(product):
        by_part.setdefault(stock.index_partition(product, k.key_id), set()).add(k.key_id)
    part, expect = max(by_part.items(), key=lambda kv: len(kv[1]))
    assert len(expect) >= 3, "the test needs a partition of several keys"
    got = [
        i["key_id"] for i in ddb.query_all(GSI_STOCK, "stock_pk = :p", {":p": part}, limit=1, forward=False)
    ]
    assert got == sorted(expect, reverse=True)  # every page, each read as asked (newest first here)


def test_cancelling_a_delivering_order_unlocks_its_stock(product: str) -> None:
    """A stop-delivery approved: the order is cancelled and its stock no longer locked; its keys
    are quarantined, not back in stock (docs/domain.md, "Quarantine")."""
    o = world.delivering()
    changed, removed, _ = _step(
        o.order_id,
        lambda: orders.cancel_with_refunds(
            o, T1, actor=Actor.REVIEWER, actor_id="r1", reason="changed_mind", refund_to=RefundTo.ORIGINAL
        )[0],
    )
    assert changed == {
        "status": "cancelled",
        "cancelled_at": iso(T1),
        "cancelled_by": "reviewer",
        "cancel_reason": "changed_mind",
        "stock_locked": False,
        "refunded_amount": o.paid_amount,
        "trades": [_trade(o, refunded=o.paid_amount)],
    }
    assert removed == set()
    k = _key_item(o.key_ids[0])
    assert (k["status"], k["order_id"], "stock_pk" in k) == ("quarantined", o.order_id, False)


def test_a_customers_orders_are_listed_newest_first_a_page_at_a_time(product: str) -> None:
    """GIVEN three orders of c1 at different times and one of c2 WHEN c1's are listed two at a
    time THEN the newest two come first, then the oldest from where the page ended, and
    nothing of c2's."""
    first, second, third = (orders.create_order("c1", product, 1, world.later(m)) for m in (1, 2, 3))
    orders.create_order("c2", product, 1, world.later(4))
    page, last = orders.list_customer_orders("c1", 2, None)
    assert [o.order_id for o in page] == [third.order_id, second.order_id] and last is not None
    rest, _ = orders.list_customer_orders("c1", 2, last)
    assert [o.order_id for o in rest] == [first.order_id]
    assert page[0] == orders.require_order(third.order_id)


def test_an_orders_requests_are_all_listed_and_nothing_else(product: str) -> None:
    """GIVEN an order with a rejected request and a second one under review (besides its
    history) WHEN its requests are listed THEN exactly those two, as stored."""
    w = world.claimed()
    decide(w["task"].task_id, world.R1, Decision(outcome="reject", note="no"), T1)
    _, second = requests.open_for_review(orders.require_order(w["order"].order_id), _REQUEST, T2)
    listed = requests.list_requests(w["order"].order_id)
    first_key = world.request_key(w["order"].order_id, w["request"].request_id)
    second_key = world.request_key(w["order"].order_id, second.request_id)
    assert sorted(listed, key=lambda r: r.request_id) == sorted(
        [requests.of_item(item(first_key)), requests.of_item(item(second_key))], key=lambda r: r.request_id
    )
