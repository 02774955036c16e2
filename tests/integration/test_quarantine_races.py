"""Two decisions on the same quarantined key, from different threads, on moto (docs/domain.md,
"Quarantine").

GIVEN 40 keys quarantined by the cancellation of orders that reached delivering WHEN for each
key support releases it and voids it at the same moment (and, for a second batch, releases it
twice at once) THEN for every key exactly one decision wins: the other is refused
(KEY_NOT_QUARANTINED, or CONFLICT while the winner's transaction held the key), what is stored
is exactly the winner's outcome, the order's history has exactly one decision, and no key is
available twice. The ``aws`` fixture makes each moto request atomic, as DynamoDB's are
(tests/integration/test_races.py), so what races is the read before the conditional write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from cancelflow import aws
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import history, orders, payments, quarantine, stock

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, race, scan_all, stock_counts

N = 40
PID = "p-quarantine-race"
RACE = NOW + timedelta(hours=2)
LOST = {ErrorCode.KEY_NOT_QUARANTINED, ErrorCode.CONFLICT}


def _quarantine(n: int) -> list[tuple[str, str]]:
    """``n`` keys, each quarantined by its own order cancelled while delivering: (order, key)."""
    out = []
    for i in range(n):
        o = orders.create_order(f"cq{i}", PID, 1, NOW)
        payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, NOW)
        o = orders.start_delivery(o.order_id, NOW + timedelta(hours=1))
        orders.cancel_with_refunds(
            o,
            NOW + timedelta(hours=1, minutes=1),
            actor=Actor.REVIEWER,
            actor_id="r1",
            reason="changed_mind",
            refund_to=RefundTo.ORIGINAL,
        )
        out.append((o.order_id, o.key_ids[0]))
    return out


def _deciding(key_id: str, to: stock.KeyStatus) -> Callable[[], object]:
    return lambda: quarantine.settle(PID, key_id, to, now=RACE, actor_id=f"sup-{to}", reason=f"race {to}")


def _decisions(order_id: str) -> list[history.Entry]:
    return [h for h in history.timeline(order_id) if h.event.value.startswith("stock.")]


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")  # (by name only: ``aws`` here is cancelflow's client module)
def test_release_and_void_of_the_same_key_race_to_exactly_one_outcome() -> None:
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "隔离竞速", "quarantine race")
    stock.add_keys(PID, ((f"qk{i:03d}", f"CODE{i:03d}") for i in range(N + N // 2)))
    aws.dynamodb()  # one client, created before the threads (boto3 clients are thread-safe)
    cases = _quarantine(N)
    assert stock_counts(scan_all(), PID)["quarantined"] == N

    results = race([(_deciding(k, stock.AVAILABLE), _deciding(k, stock.VOIDED)) for _, k in cases])
    winners: Counter[str] = Counter()
    for (oid, kid), (released, voided) in zip(cases, results, strict=True):
        refused = [r for r in (released, voided) if isinstance(r, DomainError)]
        assert len(refused) == 1, (kid, released, voided)  # exactly one wins
        assert refused[0].code in LOST, refused[0]
        winner = stock.AVAILABLE if not isinstance(released, DomainError) else stock.VOIDED
        winners[winner] += 1
        key = quarantine.get_key(PID, kid)
        assert key is not None and key.status is winner  # stored: the winner's outcome
        (entry,) = _decisions(oid)  # and only the winner's entry in the order's history
        assert entry.actor_id == f"sup-{winner}" and entry.reason == f"race {winner}"
    items = scan_all()
    counts = stock_counts(items, PID)
    assert counts["available"] == N // 2 + winners[stock.AVAILABLE]
    assert counts["voided"] == winners[stock.VOIDED] and counts["quarantined"] == 0
    check_invariants(items)


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")
def test_the_same_key_released_twice_at_once_is_available_once() -> None:
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "隔离竞速", "quarantine race")
    stock.add_keys(PID, ((f"qk{i:03d}", f"CODE{i:03d}") for i in range(N)))
    aws.dynamodb()
    cases = _quarantine(N)

    results = race([(_deciding(k, stock.AVAILABLE), _deciding(k, stock.AVAILABLE)) for _, k in cases])
    for (oid, _kid), pair in zip(cases, results, strict=True):
        refused = [r for r in pair if isinstance(r, DomainError)]
        assert len(refused) == 1 and refused[0].code in LOST, pair
        assert len(_decisions(oid)) == 1
    items = scan_all()
    assert stock_counts(items, PID) == {"available": N}
    # every key in the stock index once: a new order of all of them gets each exactly once
    check_invariants(items)
    taken = orders.create_order("c-all", PID, 20, RACE + timedelta(minutes=1))
    assert len(set(taken.key_ids)) == 20
