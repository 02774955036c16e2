"""Refusals at their request floor, and the product read once per warm process (moto in-process).

GIVEN an order changed between the read a step decided on and its write (a stale copy in hand)
WHEN the step's conditional transaction is refused
THEN the refusal is worded exactly as before (409 CONFLICT with the status and version stored),
from the order the refused transaction returned (``ReturnValuesOnConditionCheckFailure:
ALL_OLD``), so the refused attempt is that one request: no read after it. The refusal
(``orders.OrderConflict``) carries that order, so the expiry sweep decides again on it: a stale
index copy costs the sweep one request, not a write and a read.

GIVEN order creation THEN the product (price, type) is read once per process and minute; a
change made through ``stock.put_product`` in this process, a new client, or an expired entry
reads it again. Requests are counted with the bench's ``Counter`` (botocore ``before-call``:
each API call; ``before-send``: each HTTP attempt, retries included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from cancelflow import aws as clients
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import ddb, keys, orders, payments, requests, stock
from cancelflow.store.orders import completion, lifecycle
from cancelflow.sweeps.due import Tally
from cancelflow.sweeps.expiry import expire_one
from msgspec.structs import replace

from bench.common import Counter
from tests.conftest import NOW
from tests.store.guard import put

M = timedelta(minutes=1)
CARD = "p-game_card"  # the ``catalog`` fixture's card product: 10000 fen, 20 keys


@pytest.fixture
def counter(catalog: dict[str, str]) -> Iterator[Counter]:
    c = Counter()
    c.attach()  # on this test's clients (every ``aws`` stack has new ones)
    yield c


def refused(counter: Counter, call: Callable[[], Any]) -> tuple[DomainError, list[str], int]:
    """``call()`` must raise a DomainError: it, the API calls it made and their HTTP attempts."""

    def attempt() -> DomainError:
        with pytest.raises(DomainError) as e:
            call()
        return e.value

    return counter.measure(attempt)


def _conflict_with(order: Order) -> tuple[int, str, dict[str, Any]]:
    """The wording of a lost race: 409 CONFLICT naming the order's stored status and version."""
    return 409, "CONFLICT", {"status": order.status.value, "version": order.version}


def _wording(e: DomainError) -> tuple[int, str, dict[str, Any]]:
    return e.status, e.code.value, e.details


def _paid_since(stale: Order) -> Order:
    payments.confirm_payment(stale.order_id, f"pay-{stale.order_id}", stale.amount, Channel.ALIPAY, NOW + M)
    return orders.require_order(stale.order_id)


def test_a_customer_cancel_of_an_order_paid_since_its_read_is_refused_in_one_request(
    counter: Counter,
) -> None:
    stale = orders.create_order("c1", CARD, 1, NOW)
    stored = _paid_since(stale)
    e, calls, sends = refused(counter, lambda: orders.self_cancel(stale, NOW + 2 * M))
    assert _wording(e) == _conflict_with(stored) == (409, "CONFLICT", {"status": "paid", "version": 2})
    assert (calls, sends) == (["TransactWriteItems"], 1)
    assert orders.require_order(stale.order_id) == stored


def test_an_expiry_from_a_stale_index_copy_is_refused_in_one_request(counter: Counter) -> None:
    stale = orders.create_order("c1", CARD, 1, NOW)
    stored = _paid_since(stale)
    e, calls, sends = refused(counter, lambda: orders.expire_order(stale, stale.payment_deadline + M))
    assert _wording(e) == _conflict_with(stored)
    assert (calls, sends) == (["TransactWriteItems"], 1)
    assert orders.require_order(stale.order_id) == stored


def test_an_expiry_sweep_step_on_a_stale_index_copy_costs_one_request(counter: Counter) -> None:
    """GIVEN the sweep's index copy of an order paid since WHEN the sweep works it THEN the
    refused write's order (``OrderConflict.found``) shows it paid: skipped as lost, no read."""
    stale = orders.create_order("c1", CARD, 1, NOW)
    stored = _paid_since(stale)
    tally = Tally()
    _, calls, sends = counter.measure(lambda: expire_one(stale, stale.payment_deadline + M, tally))
    assert (tally.done, tally.lost, tally.skipped, tally.failed) == (0, 1, 0, 0)
    assert (calls, sends) == (["TransactWriteItems"], 1)
    assert orders.require_order(stale.order_id) == stored


def test_an_expiry_sweep_step_on_a_copy_a_version_behind_expires_from_what_the_refusal_found(
    counter: Counter,
) -> None:
    """GIVEN an index copy one version behind an order still unpaid and overdue WHEN the sweep
    works it THEN it expires the order as the refusal found it: two writes, no read."""
    stale = orders.create_order("c1", CARD, 1, NOW)
    clients.dynamodb().update_item(  # a change that is not a payment: the version moves on
        TableName=ddb.table(),
        Key=ddb.key(keys.order_pk(stale.order_id), keys.ORDER),
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues=ddb.values({":v": 2}),
    )
    tally = Tally()
    _, calls, _ = counter.measure(lambda: expire_one(stale, stale.payment_deadline + M, tally))
    assert (tally.done, tally.lost, tally.ids) == (1, 0, [stale.order_id])
    assert calls == ["TransactWriteItems", "TransactWriteItems"]
    done = orders.require_order(stale.order_id)
    assert (done.status, done.version, done.cancel_reason) == (OrderStatus.CANCELLED, 3, "payment_timeout")


def test_the_refusal_carries_the_order_it_found(counter: Counter) -> None:
    """``OrderConflict``: worded as any CONFLICT, and ``found`` is the stored order itself."""
    stale = orders.create_order("c1", CARD, 1, NOW)
    stored = _paid_since(stale)
    e, _, _ = refused(counter, lambda: orders.self_cancel(stale, NOW + 2 * M))
    assert isinstance(e, orders.OrderConflict) and e.found == stored


def test_a_cancelled_transaction_returns_the_old_items_aligned_with_its_reasons(
    catalog: dict[str, str],
) -> None:
    """``TransactionFailed.items``: item ``i`` as stored (decoded like a read) where its
    condition failed and it asked for ALL_OLD; None where it did not ask, or did not fail."""
    o = orders.create_order("c1", CARD, 1, NOW)

    def check(key: tuple[str, str], old: str | None) -> dict[str, Any]:
        op: dict[str, Any] = {
            "Key": ddb.key(*key),
            "ConditionExpression": "version = :v",  # 99: never true here (a product has none)
            "ExpressionAttributeValues": ddb.values({":v": 99}),
        }
        return {"ConditionCheck": op | ({"ReturnValuesOnConditionCheckFailure": old} if old else {})}

    fine = {"Put": {"Item": ddb.to_item({"pk": "X#1", "sk": "X", "n": 7})}}
    product = (keys.product_pk(CARD), keys.PRODUCT)
    with pytest.raises(ddb.TransactionFailed) as e:
        ddb.transact([check((keys.order_pk(o.order_id), keys.ORDER), "ALL_OLD"), fine, check(product, None)])
    assert e.value.reasons == ["ConditionalCheckFailed", "None", "ConditionalCheckFailed"]
    assert e.value.items == [ddb.get(keys.order_pk(o.order_id), keys.ORDER), None, None]
    assert e.value.items[0] is not None and e.value.items[0]["version"] == 1  # an int, as read
    assert ddb.TransactionFailed(["None", "TransactionConflict"]).items == [None, None]


def test_starting_delivery_of_an_order_held_since_its_read_is_refused_in_one_request(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order is read paid and unheld; a cancellation request holds it before the write."""
    read = orders.create_order("c1", CARD, 1, NOW)
    read = _paid_since(read)
    held, _ = requests.open_for_review(read, Submission(action=Action.REQUEST), NOW + M)
    monkeypatch.setattr(lifecycle, "require_order", lambda order_id: read)  # its read: before the hold
    e, calls, sends = refused(counter, lambda: orders.start_delivery(read.order_id, NOW + 2 * M))
    assert _wording(e) == _conflict_with(held) == (409, "CONFLICT", {"status": "paid", "version": 3})
    assert (calls, sends) == (["TransactWriteItems"], 1)
    assert orders.require_order(read.order_id) == held


def test_completing_an_order_completed_since_its_read_is_refused_in_one_request(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    o = _paid_since(orders.create_order("c1", CARD, 1, NOW))
    orders.start_delivery(o.order_id, NOW + 2 * M)
    read = orders.complete_delivery(o.order_id, NOW + 3 * M)
    done = orders.complete_order(o.order_id, NOW + 4 * M)
    monkeypatch.setattr(completion, "require_in", lambda order_id, status: read)  # read still delivered
    e, calls, sends = refused(counter, lambda: orders.complete_order(o.order_id, NOW + 5 * M))
    assert _wording(e) == _conflict_with(done) == (409, "CONFLICT", {"status": "completed", "version": 5})
    assert (calls, sends) == (["TransactWriteItems"], 1)


def test_a_refused_change_of_an_order_that_is_not_stored_names_no_state(counter: Counter) -> None:
    """The refused transaction returns no item: there is no such order (no read to find out)."""
    ghost = replace(orders.create_order("c1", CARD, 1, NOW), order_id="o_" + "0" * 20, key_ids=())
    e, calls, _ = refused(counter, lambda: orders.self_cancel(ghost, NOW + M))
    assert _wording(e) == (409, "CONFLICT", {"status": None, "version": None})
    assert calls == ["TransactWriteItems"]


def test_the_refusals_decided_on_the_read_stay_one_read(counter: Counter) -> None:
    """Unchanged: a refusal the order read decides (held, not found) writes nothing."""
    o = _paid_since(orders.create_order("c1", CARD, 1, NOW))
    _, request = requests.open_for_review(o, Submission(action=Action.REQUEST), NOW + M)
    e, calls, _ = refused(counter, lambda: orders.start_delivery(o.order_id, NOW + 2 * M))
    assert (_wording(e), calls) == ((409, "ORDER_HELD", {"request_id": request.request_id}), ["GetItem"])
    e, calls, _ = refused(counter, lambda: orders.complete_order("o_nope", NOW))
    assert (_wording(e), calls) == ((404, "ORDER_NOT_FOUND", {"order_id": "o_nope"}), ["GetItem"])


def test_a_payment_that_loses_a_race_to_a_cancel_is_refunded_without_a_read_for_the_refusal(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the payment's read of the order, then the customer cancels it before the payment
    is written WHEN the payment's transaction is refused THEN it reads again (its retry) and
    refunds the payment in full; the refused attempt cost no read of its own."""
    o = orders.create_order("c1", CARD, 1, NOW)
    batch_get = ddb.batch_get
    raced: list[Order] = []

    def read_then_cancelled(keys: list[tuple[str, str]]) -> Any:
        found = batch_get(keys)
        if not raced:
            raced.append(orders.self_cancel(o, NOW + M))  # the customer, in between
        return found

    monkeypatch.setattr(ddb, "batch_get", read_then_cancelled)  # the payment's read, then the cancel
    result, calls, _ = counter.measure(
        lambda: payments.confirm_payment(o.order_id, "pay-race", o.amount, Channel.ALIPAY, NOW + 2 * M)
    )
    assert (result.applied, result.order.status) == (False, OrderStatus.CANCELLED)
    assert calls == [
        "BatchGetItem",
        "TransactWriteItems",  # the customer's cancel
        "TransactWriteItems",  # the payment, refused
        "BatchGetItem",  # its retry reads again
        "TransactWriteItems",  # recorded and refunded
    ]


# ---------------------------------------------------------------- the product, once per minute


def _price_elsewhere(price: int) -> None:
    """The product's price changed by another process (no ``stock.put_product`` here)."""
    _product_elsewhere(CARD, ProductType.GAME_CARD, price)


def _product_elsewhere(product_id: str, ptype: ProductType, price: int) -> None:
    """The product item as ``stock.put_product`` writes it, written by another process."""
    item = {"pk": keys.product_pk(product_id), "sk": keys.PRODUCT, "type": "product"}
    fields = {"product_id": product_id, "product_type": ptype.value, "price": price}
    put(item | fields | {"name_zh": "商品", "name_en": "product"})


def test_a_warm_process_reads_the_product_once(counter: Counter) -> None:
    orders.create_order("c1", CARD, 1, NOW)
    o, calls, _ = counter.measure(lambda: orders.create_order("c1", CARD, 1, NOW))
    # no product read: the stock Query (a second one when the order's shard has too few keys
    # left: the order id, hence its shard, is random) and the transaction
    assert o.amount == 10000 and "GetItem" not in calls
    assert calls[-1:] == ["TransactWriteItems"] and set(calls[:-1]) == {"Query"}


def test_a_price_changed_elsewhere_reaches_new_orders_when_the_entry_expires(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders.create_order("c1", CARD, 1, NOW)
    _price_elsewhere(12000)
    assert orders.create_order("c1", CARD, 1, NOW).amount == 10000  # within the minute: as read
    monkeypatch.setattr(stock, "PRODUCT_TTL_SECONDS", 0.0)  # the minute has passed
    o, calls, _ = counter.measure(lambda: orders.create_order("c1", CARD, 1, NOW))
    assert (o.amount, "GetItem" in calls) == (12000, True)


def test_a_product_put_in_this_process_is_seen_at_once(catalog: dict[str, str]) -> None:
    orders.create_order("c1", CARD, 1, NOW)
    stock.put_product(CARD, ProductType.GAME_CARD, 15000, "卡", "card")
    assert orders.create_order("c1", CARD, 1, NOW).amount == 15000


def test_new_clients_start_with_no_products(catalog: dict[str, str]) -> None:
    """What ``reset_settings`` does (every test stack, the local runtime's start) empties it."""
    orders.create_order("c1", CARD, 1, NOW)
    _price_elsewhere(13000)
    clients.reset_clients()
    assert orders.create_order("c1", CARD, 1, NOW).amount == 13000


def test_an_unknown_product_is_not_remembered(catalog: dict[str, str]) -> None:
    with pytest.raises(DomainError) as e:
        orders.create_order("c1", "p-new", 1, NOW)
    assert (e.value.code.value, e.value.details) == ("PRODUCT_NOT_FOUND", {"product_id": "p-new"})
    _product_elsewhere("p-new", ProductType.MOBILE_TOPUP, 3000)
    assert orders.create_order("c1", "p-new", 1, NOW).amount == 3000
