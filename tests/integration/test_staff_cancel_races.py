"""Support's staff cancel racing other cancellations of the same order, from different threads,
on moto (docs/domain.md, "Support's tools").

GIVEN unpaid orders WHEN for each support's staff cancel (restock void) and its customer's own
cancel run at the same moment THEN exactly one wins (the other is ORDER_CANCELLED or CONFLICT),
the order is cancelled by the winner, and its key is what the winner decided: voided by
support, available by the customer; GIVEN paid orders WHEN two staff cancels run at once THEN
one wins and the order is refunded once, in full. The invariants hold after each. The ``aws``
fixture makes each moto request atomic, as DynamoDB's are (tests/integration/test_races.py),
so what races is the read before the conditional write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cancelflow import aws
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.support import Restock, StaffCancelReason
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import orders, payments, stock
from cancelflow.support import staff_cancel

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, race, scan_all, stock_counts

N = 20
PID = "p-staff-race"
RACE = NOW + timedelta(minutes=5)
LOST = {ErrorCode.ORDER_CANCELLED, ErrorCode.CONFLICT}


def _support(order_id: str, restock: Restock = Restock.VOID) -> Callable[[], object]:
    return lambda: staff_cancel.cancel(order_id, StaffCancelReason.FRAUD, "race", restock, "sup-1", RACE)


def _customer(order_id: str) -> Callable[[], object]:
    return lambda: orders.self_cancel(orders.require_order(order_id), RACE)


def _one_lost(results: tuple[object, object]) -> int:
    """Which of the two won (0 or 1); the other was refused as a lost race."""
    refused = [i for i, r in enumerate(results) if isinstance(r, DomainError)]
    assert len(refused) == 1, results
    loser = results[refused[0]]
    assert isinstance(loser, DomainError) and loser.code in LOST, loser
    return 1 - refused[0]


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")
def test_a_staff_cancel_and_the_customers_own_cancel_race_to_one_outcome() -> None:
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "客服竞速", "staff race")
    stock.add_keys(PID, ((f"sk{i:03d}", f"CODE{i:03d}") for i in range(2 * N)))
    aws.dynamodb()  # one client, created before the threads
    unpaid = [orders.create_order(f"cs{i}", PID, 1, NOW) for i in range(N)]
    results = race([(_support(o.order_id), _customer(o.order_id)) for o in unpaid])
    for o, pair in zip(unpaid, results, strict=True):
        won = _one_lost(pair)
        stored = orders.require_order(o.order_id)
        assert stored.cancelled_by == ("support" if won == 0 else "customer")
        key = next(k for k in stock.product_keys(PID) if k.key_id == o.key_ids[0])
        assert key.status is (stock.VOIDED if won == 0 else stock.AVAILABLE)
    check_invariants(scan_all())

    paid = []
    for i in range(N):
        o = orders.create_order(f"cp{i}", PID, 1, NOW)
        paid.append(
            payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, NOW).order
        )
    results = race([(_support(o.order_id, Restock.STOCK), _support(o.order_id, Restock.VOID)) for o in paid])
    for o, pair in zip(paid, results, strict=True):
        _one_lost(pair)
        stored = orders.require_order(o.order_id)
        assert stored.refunded_amount == o.amount  # refunded once, in full
    items = scan_all()
    assert sum(1 for i in items if i.get("type") == "refund") == N
    counts = stock_counts(items, PID)
    assert counts["reserved"] == 0 and counts["available"] + counts["voided"] == 2 * N
    check_invariants(items)
