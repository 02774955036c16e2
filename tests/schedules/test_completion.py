"""The completion sweep: only due delivered orders are read, each is completed once (at the
end of its confirmation window), overlapping runs act once, the handler reports its metric."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from cancelflow.clock import iso
from cancelflow.domain.products import Channel
from cancelflow.domain.states import OrderStatus
from cancelflow.store import ddb, history, orders, payments
from cancelflow.sweeps.completion import complete_due, complete_one
from cancelflow.sweeps.due import Tally

from tests.conftest import NOW
from tests.schedules.conftest import Requests
from tests.schedules.factory import delivered_order_item, delivered_orders

TOPUP_WINDOW = timedelta(hours=24)
LATER = NOW + TOPUP_WINDOW + timedelta(minutes=1)


def _completed_entries(order_id: str) -> int:
    return sum(1 for e in history.timeline(order_id) if e.event == "order.completed")


def _delivered(catalog: dict[str, str], product: str = "mobile_topup", at=NOW):  # type: ignore[no-untyped-def]
    paid = at - timedelta(minutes=10)  # the top-up's cooling-off (the auto-approval window)
    o = orders.create_order("c1", catalog[product], 1, paid, target="13800000000")
    payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, paid)
    orders.start_delivery(o.order_id, at)
    return orders.complete_delivery(o.order_id, at)


def test_prepared_items_match_complete_delivery(catalog: dict[str, str]) -> None:
    """GIVEN an order delivered by the store's own steps WHEN the factory prepares one like it
    THEN both carry the same attributes (what the tests and the bench sweep is what is stored)."""
    real = _delivered(catalog)
    stored = ddb.get(f"ORDER#{real.order_id}", "ORDER")
    assert stored is not None
    assert set(delivered_order_item(real.order_id, NOW)) == set(stored)
    assert stored["due_at"] == stored["confirmation_ends_at"] == iso(NOW + TOPUP_WINDOW)


def test_completes_due_orders_and_leaves_the_rest(catalog: dict[str, str]) -> None:
    """GIVEN two delivered top-ups past their 24 h window, a game card delivered at the same
    time (72 h window) and a paid order WHEN the sweep runs THEN only the two are completed,
    at their window's end, by the system, once, and they left the due index."""
    due = [_delivered(catalog) for _ in range(2)]
    card = _delivered(catalog, "game_card")
    paid = orders.create_order("c3", catalog["software_license"], 1, NOW)
    payments.confirm_payment(paid.order_id, "pay-x", paid.amount, Channel.ALIPAY, NOW)

    tally = complete_due(LATER)

    assert sorted(tally.ids) == sorted(o.order_id for o in due)
    for o in due:
        after = orders.get_order(o.order_id)
        assert after is not None and after.status is OrderStatus.COMPLETED
        assert after.completed_at == NOW + TOPUP_WINDOW  # what reads showed since then
        assert "due_pk" not in (ddb.get(f"ORDER#{o.order_id}", "ORDER") or {})
        assert _completed_entries(o.order_id) == 1
    assert orders.get_order(card.order_id).status is OrderStatus.DELIVERED  # type: ignore[union-attr]
    assert orders.get_order(paid.order_id).status is OrderStatus.PAID  # type: ignore[union-attr]
    assert complete_due(LATER).done == 0  # nothing left to do
    assert complete_due(NOW + timedelta(hours=72)).ids == [card.order_id]  # its own window


def test_reads_only_due_items(aws: dict[str, str], ddb_requests: Requests) -> None:
    """GIVEN 400 delivered orders of which 20 are past their window WHEN the sweep runs THEN it
    queries each due shard once and the queries return exactly the 20 due orders."""
    from cancelflow.settings import get_settings

    delivered_orders("late", 20, NOW)
    delivered_orders("early", 380, LATER)
    ddb_requests.reset()

    tally = complete_due(LATER)

    assert tally.done == 20 and tally.items_read == 20
    assert ddb_requests.calls["Query"] == tally.requests == get_settings().due_shards
    assert ddb_requests.query_items == 20


def test_overlapping_runs_complete_each_order_once(aws: dict[str, str]) -> None:
    """GIVEN 30 due orders WHEN two runs start together THEN every order is completed once:
    what one run did, the other counts lost or skipped (conditional writes decide)."""
    ids = delivered_orders("race", 30, NOW)
    tallies: list[Tally] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        tallies.append(complete_due(LATER))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(tallies[0].ids + tallies[1].ids) == sorted(ids)
    assert all(_completed_entries(o) == 1 for o in ids)


def test_a_stale_copy_is_decided_on_what_is_stored(catalog: dict[str, str]) -> None:
    """GIVEN the index copy of a due order completed meanwhile (on request) WHEN the sweep
    acts on the copy THEN its write is refused and it counts the order lost, writing nothing."""
    o = _delivered(catalog)
    copy = orders.get_order(o.order_id)
    orders.complete_order(o.order_id, LATER)
    tally = Tally()
    assert copy is not None
    complete_one(copy, LATER, tally)
    assert (tally.done, tally.lost) == (0, 1)
    assert _completed_entries(o.order_id) == 1


def test_handler_completes_on_business_time_and_emits_the_metric(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN 3 orders past their window by the business clock WHEN the scheduled event
    arrives THEN they are completed and the EMF metric orders_completed says 3."""
    from cancelflow import clock

    from functions.schedules import complete_orders

    delivered_orders("h", 3, clock.now() - TOPUP_WINDOW - timedelta(minutes=1))
    with open("events/schedule-complete-orders.json") as f:
        event = json.load(f)

    result = complete_orders.handler(event, None)

    assert result["done"] == 3
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("orders_completed") in ([3.0], 3.0) for m in emf)
