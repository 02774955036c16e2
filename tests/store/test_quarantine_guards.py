"""Quarantined keys (docs/domain.md, "Quarantine"): the cancellation's write into quarantine is
conditional on the key being reserved for that order, and support's decision out of it on the
key being quarantined still, from the order and since the moment read. Each test puts a key into
the state a condition forbids, sends the store's own write on the earlier read, and finds it
refused with the key, and the whole table, unchanged."""

from __future__ import annotations

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.store import orders, quarantine, stock

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item, put, refused, unchanged

CHECK_FAILED = ["ConditionalCheckFailed"]


def _quarantined() -> tuple[Order, stock.StockKey]:
    """A key quarantined by the cancellation of an order being delivered, as support read it."""
    o = world.delivering()
    orders.cancel_with_refunds(
        o, world.later(5), actor=Actor.REVIEWER, actor_id="r1", reason="x", refund_to=RefundTo.ORIGINAL
    )
    read = quarantine.get_key(world.PRODUCT, o.key_ids[0])
    assert read is not None and read.status is stock.QUARANTINED and read.quarantined_at is not None
    return o, read


def _decide_on(read: stock.StockKey, to: stock.KeyStatus) -> list[str]:
    assert read.quarantined_at is not None
    return refused([quarantine._settle_op(read, read.quarantined_at, to, world.later(10))])


def test_quarantining_a_delivered_key_is_refused(product: str) -> None:
    """GIVEN a key delivered to order A (still naming A) WHEN A's quarantine of it is written
    THEN it is refused: a delivered key stays delivered."""
    o = world.delivered()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([quarantine.quarantine_op(product, kid, o.order_id, NOW)]) == CHECK_FAILED


def test_quarantining_a_key_another_order_holds_is_refused(product: str) -> None:
    """GIVEN a key reserved by order A WHEN order B's quarantine of it is written THEN it is
    refused: a cancellation quarantines only its own order's keys."""
    o = world.unpaid()
    (kid,) = o.key_ids
    with unchanged(world.stock_key(kid)):
        assert refused([quarantine.quarantine_op(product, kid, "o_other", NOW)]) == CHECK_FAILED


def test_a_decision_on_a_key_voided_since_the_read_is_refused(product: str) -> None:
    """GIVEN support's read of a quarantined key, then the key voided by someone else (it still
    names the order and the moment it was quarantined) WHEN a release decided on the read is
    written THEN it is refused: a voided key never goes back to stock (race: two supporters)."""
    _, read = _quarantined()
    quarantine.settle(product, read.key_id, stock.VOIDED, now=world.later(9), actor_id="s2", reason="void")
    with unchanged(world.stock_key(read.key_id)):
        assert _decide_on(read, stock.AVAILABLE) == CHECK_FAILED


def test_a_decision_on_a_key_quarantined_from_another_order_since_the_read_is_refused(product: str) -> None:
    """GIVEN support's read of a key quarantined from order A, and the key now quarantined from
    order B at the same moment WHEN the decision on the read is written THEN it is refused: its
    history entry would go to A's history for B's key (constructed: B's cancellation would
    stamp its own moment)."""
    _, read = _quarantined()
    stored = item(world.stock_key(read.key_id))
    put({**stored, "order_id": "o_other"})
    with unchanged(world.stock_key(read.key_id)):
        assert _decide_on(read, stock.VOIDED) == CHECK_FAILED


def test_a_decision_on_a_key_quarantined_again_since_the_read_is_refused(product: str) -> None:
    """GIVEN support's read of a key quarantined from order A, and the key quarantined again
    from A at a later moment WHEN the decision on the read is written THEN it is refused: a
    decision is for the quarantine it read (constructed: an order is cancelled once)."""
    _, read = _quarantined()
    stored = item(world.stock_key(read.key_id))
    put({**stored, "quarantined_at": iso(world.later(30))})
    with unchanged(world.stock_key(read.key_id)):
        assert _decide_on(read, stock.AVAILABLE) == CHECK_FAILED
