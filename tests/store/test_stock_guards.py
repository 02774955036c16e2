"""Stock keys: every write to a key is conditional on the status (and order) it must have, so a
key is never sold twice, never returned to stock once delivered, never taken from another order.
Each test puts a key into the state a condition forbids, sends the store's own write, and finds
it refused with the key, and the whole table, unchanged."""

from __future__ import annotations

import pytest
from cancelflow.errors import DomainError
from cancelflow.store import stock

from tests.store import world
from tests.store.guard import put, refused, stored, unchanged

CHECK_FAILED = ["ConditionalCheckFailed"]


def test_re_adding_a_key_id_that_is_reserved_is_refused(product: str) -> None:
    """GIVEN a key reserved by an order
    WHEN the same key id is added to stock again
    THEN CONFLICT, and the key is still reserved for that order (not made available again)."""
    o = world.unpaid()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)), pytest.raises(DomainError) as e:
        stock.add_keys(product, [(kid, "NEW-CODE")])
    assert e.value.code == "CONFLICT"


def test_reserving_a_key_another_order_holds_is_refused(product: str) -> None:
    """GIVEN a key reserved by order A
    WHEN order B's reservation of that key is written
    THEN it is refused and the key still belongs to A."""
    o = world.unpaid()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([stock.reserve_op(product, kid, "o_other")]) == CHECK_FAILED


def test_reserving_a_delivered_key_is_refused(product: str) -> None:
    """GIVEN a key delivered to order A
    WHEN a reservation of it is written for order B
    THEN it is refused: a delivered key is never sold again."""
    o = world.delivered()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([stock.reserve_op(product, kid, "o_other")]) == CHECK_FAILED


def test_releasing_a_delivered_key_is_refused(product: str) -> None:
    """GIVEN a key delivered to order A (its status ``delivered``, still naming A)
    WHEN A's release of the key is written (what a cancellation sends)
    THEN it is refused: a delivered key never goes back to stock. (The status clause of the
    release; dropping it once left every other test green.)"""
    o = world.delivered()
    (kid,) = o.key_ids
    assert stored(world.stock_key(kid))["status"] == {"S": stock.DELIVERED}  # type: ignore[index]
    with unchanged(world.stock_key(kid)):
        assert refused([stock.release_op(product, kid, o.order_id)]) == CHECK_FAILED


def test_releasing_a_key_reserved_by_another_order_is_refused(product: str) -> None:
    """GIVEN a key reserved by order A
    WHEN order B's release of that key is written
    THEN it is refused: an order gives back only its own keys."""
    o = world.unpaid()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([stock.release_op(product, kid, "o_other")]) == CHECK_FAILED


def test_delivering_a_key_reserved_by_another_order_is_refused(product: str) -> None:
    """GIVEN a key reserved by order A
    WHEN order B's delivery of that key is written
    THEN it is refused: B cannot be handed A's key."""
    o = world.unpaid()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([stock.deliver_op(product, kid, "o_other")]) == CHECK_FAILED


def test_delivering_a_key_that_is_not_reserved_is_refused(product: str) -> None:
    """GIVEN an available key that still names an order (no write path leaves one like this
    today; the status clause keeps delivery safe if a release ever stops removing the order id)
    WHEN that order's delivery of the key is written
    THEN it is refused: only a reserved key is delivered."""
    put(
        {
            "pk": world.stock_key("k9")[0],
            "sk": world.stock_key("k9")[1],
            "type": "stock_key",
            "product_id": product,
            "key_id": "k9",
            "code": "CODE-9",
            "status": stock.AVAILABLE,
            "order_id": "o_stale",
        }
    )
    with unchanged(world.stock_key("k9")):
        assert refused([stock.deliver_op(product, "k9", "o_stale")]) == CHECK_FAILED
