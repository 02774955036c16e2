"""The expiry sweep: only due orders are read, each is expired once, runs are bounded."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from cancelflow import aws as aws_clients
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.store import ddb, history, orders, payments, stock
from cancelflow.store.schema import GSI_DUE
from cancelflow.sweeps import expiry
from cancelflow.sweeps.due import Budget, Tally
from cancelflow.sweeps.expiry import expire_due, expire_one
from msgspec.structs import replace

from tests.conftest import NOW
from tests.schedules.conftest import Requests
from tests.schedules.factory import TIMEOUT, unpaid_order_item, unpaid_orders

LATER = NOW + TIMEOUT + timedelta(minutes=1)


def _expired_entries(order_id: str) -> int:
    return sum(1 for e in history.timeline(order_id) if e.event == "order.expired")


def test_prepared_items_match_create_order(catalog: dict[str, str]) -> None:
    """GIVEN an order made by create_order WHEN the factory prepares one like it THEN both
    carry the same attributes (so what the tests and the bench sweep is what production stores)."""
    real = orders.create_order("c1", catalog["mobile_topup"], 1, NOW, target="13800000000")
    stored = ddb.get(f"ORDER#{real.order_id}", "ORDER")
    assert stored is not None
    assert set(unpaid_order_item(real.order_id, NOW)) == set(stored)


def test_expires_due_orders_releases_stock_and_leaves_the_rest(catalog: dict[str, str]) -> None:
    """GIVEN two overdue keyed orders, one still within its deadline and one paid WHEN the
    sweep runs THEN only the two are cancelled by the system (payment_timeout), their keys are
    available again, and they left the due index."""
    due = [orders.create_order("c1", catalog["game_card"], 2, NOW) for _ in range(2)]
    fresh = orders.create_order("c2", catalog["game_card"], 1, LATER - timedelta(minutes=5))
    paid = orders.create_order("c3", catalog["software_license"], 1, NOW)
    from cancelflow.domain.products import Channel

    payments.confirm_payment(paid.order_id, "pay-1", paid.amount, Channel.ALIPAY, NOW + timedelta(minutes=1))

    tally = expire_due(LATER)

    assert sorted(tally.ids) == sorted(o.order_id for o in due)
    for o in due:
        after = orders.get_order(o.order_id)
        assert after is not None and after.status is OrderStatus.CANCELLED
        assert after.cancelled_by is Actor.SYSTEM and after.cancel_reason == "payment_timeout"
        assert "due_pk" not in (ddb.get(f"ORDER#{o.order_id}", "ORDER") or {})
        assert _expired_entries(o.order_id) == 1
    for o in (fresh, paid):
        assert orders.get_order(o.order_id).status is not OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert len(stock.candidates(catalog["game_card"], 20, "probe", set())) == 20 - 1  # fresh holds one
    assert expire_due(LATER).done == 0  # nothing left to do


def test_reads_only_due_items(aws: dict[str, str], ddb_requests: Requests) -> None:
    """GIVEN 400 unpaid orders of which 20 are due WHEN the sweep runs THEN it queries each
    due shard once and the queries return exactly the 20 due orders."""
    from cancelflow.settings import get_settings

    unpaid_orders("late", 20, NOW)
    unpaid_orders("early", 380, LATER)
    ddb_requests.reset()

    tally = expire_due(LATER)

    assert tally.done == 20 and tally.items_read == 20
    assert ddb_requests.calls["Query"] == tally.requests == get_settings().due_shards
    assert ddb_requests.query_items == 20
    assert "Scan" not in ddb_requests.calls


def test_bounded_per_run_and_resumable(aws: dict[str, str]) -> None:
    """GIVEN 45 due orders and a budget of 20 WHEN the sweep runs repeatedly THEN each run
    expires at most 20, says it stopped early, and three runs finish all 45, each once."""
    ids = set(unpaid_orders("due", 45, NOW))
    runs = [expire_due(LATER, budget=20) for _ in range(4)]

    assert [r.done for r in runs] == [20, 20, 5, 0]
    assert [r.exhausted for r in runs] == [True, True, False, False]
    seen = [i for r in runs for i in r.ids]
    assert sorted(seen) == sorted(ids)


def test_two_overlapping_sweeps_expire_each_order_exactly_once(aws: dict[str, str]) -> None:
    """GIVEN 500 due orders WHEN two sweeps start at the same moment on two threads THEN
    every order is expired, by exactly one of them, with exactly one history entry."""
    ids = set(unpaid_orders("race", 500, NOW))
    gate = threading.Barrier(2)
    tallies = {}

    def sweep(name: str) -> None:
        gate.wait()
        tallies[name] = expire_due(LATER, budget=500)

    threads = [threading.Thread(target=sweep, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    a, b = tallies["a"], tallies["b"]
    assert not set(a.ids) & set(b.ids)
    assert set(a.ids) | set(b.ids) == ids
    assert a.done + b.done == 500
    assert a.failed == b.failed == a.contended == b.contended == 0
    entries = aws_clients.dynamodb().scan(
        TableName=ddb.table(),
        FilterExpression="#t = :h AND #e = :x",
        ExpressionAttributeNames={"#t": "type", "#e": "event"},
        ExpressionAttributeValues=ddb.values({":h": "history", ":x": "order.expired"}),
    )
    per_order = [ddb.from_item(i)["order_id"] for i in entries["Items"]]
    assert sorted(per_order) == sorted(ids)  # one entry each, none twice
    assert not list(ddb.query_all(GSI_DUE, "due_pk = :p", {":p": "DUE#EXPIRY#00"}))


def test_a_worker_out_of_budget_waits_for_the_pages_in_flight() -> None:
    """GIVEN a run's budget of 4 taken by two pages of 2 WHEN one page has returned its 2 and
    its worker wants more while the other page is still being read THEN that worker waits
    (the budget is held, not spent) and gets what the other page did not use; only once
    nothing is left or held is the budget spent. (A worker that ended its shard there left
    that shard's tail unread by a run with budget to spare: two overlapping sweeps could both
    do so, and an order was expired by neither.)"""
    budget = Budget(4)
    assert (budget.take(2), budget.take(2)) == (2, 2)
    budget.settle(2, 2)  # the first page returned 2 items
    got: list[int] = []
    worker = threading.Thread(target=lambda: got.append(budget.take(2)))
    worker.start()
    while worker.is_alive() and not budget.waiting:
        time.sleep(0.001)  # until the worker is waiting (or has answered): state, not time
    budget.settle(2, 1)  # the page in flight returned 1 item: 1 back
    worker.join()
    assert got == [1]
    budget.settle(1, 1)
    assert budget.take(2) == 0  # nothing left, nothing held


def test_a_competitor_in_flight_is_waited_for_and_its_expiry_counts_as_done_elsewhere(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a due order another run is expiring (its transaction in flight: this write is
    refused with TransactionConflict while the order still reads unpaid) WHEN the sweep works
    it THEN it waits, decides again, and finds it expired by the other run: lost (done
    elsewhere), not given up and not expired twice."""
    o = orders.create_order("c1", catalog["mobile_topup"], 1, NOW)
    real = ddb.transact
    refused: list[list[dict[str, Any]]] = []

    def transact(items: list[dict[str, Any]]) -> None:
        if not refused:
            refused.append(items)
            raise ddb.TransactionFailed(["TransactionConflict", "None"])
        real(items)

    waits: list[float] = []

    def competitor_commits(seconds: float) -> None:
        waits.append(seconds)
        orders.expire_order(o, LATER)  # the transaction in flight ends while this run waits

    monkeypatch.setattr(ddb, "transact", transact)
    monkeypatch.setattr(time, "sleep", competitor_commits)
    tally = Tally()
    expire_one(o, LATER, tally)

    assert (tally.done, tally.lost, tally.contended, tally.failed) == (0, 1, 0, 0)
    assert len(waits) == 1 and 0 < waits[0] <= expiry.WAIT_SECONDS
    assert _expired_entries(o.order_id) == 1
    assert orders.get_order(o.order_id).status is OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_an_order_still_due_after_every_refusal_is_contended_not_lost(
    catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a due order whose every expiry is refused by a transaction in flight that never
    commits WHEN the sweep works it THEN it tries ``ATTEMPTS`` times, waiting twice as long
    (jittered) between each, and counts the order contended (not lost: no one expired it); it stays due."""
    o = orders.create_order("c1", catalog["mobile_topup"], 1, NOW)

    def transact(items: list[dict[str, Any]]) -> None:
        raise ddb.TransactionFailed(["TransactionConflict", "None"])

    waits: list[float] = []
    monkeypatch.setattr(ddb, "transact", transact)
    monkeypatch.setattr(time, "sleep", waits.append)
    tally = Tally()
    expire_one(o, LATER, tally)

    assert (tally.done, tally.lost, tally.contended) == (0, 0, 1)
    assert len(waits) == expiry.ATTEMPTS - 1  # between attempts, none after the last
    assert all(expiry.WAIT_SECONDS * 2**i / 2 <= w <= expiry.WAIT_SECONDS * 2**i for i, w in enumerate(waits))
    assert orders.get_order(o.order_id).is_overdue_unpaid(LATER)  # type: ignore[union-attr]


def test_stale_index_copy_is_decided_on_the_stored_order(catalog: dict[str, str]) -> None:
    """GIVEN an index copy one version behind an order that is still unpaid and overdue
    WHEN it is expired THEN the sweep re-reads the order and expires it; GIVEN a copy of an
    order paid since THEN it is skipped as lost, not expired."""
    from cancelflow.domain.products import Channel

    o = orders.create_order("c1", catalog["mobile_topup"], 1, NOW)
    stale = replace(o, version=0 + 1)
    aws_clients.dynamodb().update_item(  # a change that is not a payment: version moves on
        TableName=ddb.table(),
        Key=ddb.key(f"ORDER#{o.order_id}", "ORDER"),
        UpdateExpression="SET version = :v",
        ExpressionAttributeValues=ddb.values({":v": 2}),
    )
    tally = Tally()
    expire_one(stale, LATER, tally)
    assert tally.done == 1 and orders.get_order(o.order_id).status is OrderStatus.CANCELLED  # type: ignore[union-attr]

    p = orders.create_order("c1", catalog["mobile_topup"], 1, NOW)
    payments.confirm_payment(p.order_id, "pay-2", p.amount, Channel.WECHAT_PAY, NOW + timedelta(minutes=1))
    tally = Tally()
    expire_one(p, LATER, tally)  # the copy still says pending_payment
    assert (tally.done, tally.lost) == (0, 1)
    assert orders.get_order(p.order_id).status is OrderStatus.PAID  # type: ignore[union-attr]


def test_handler_expires_on_business_time_and_emits_the_metric(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN 3 orders overdue by the business clock WHEN the scheduled event arrives THEN
    they are expired and the EMF metric orders_expired says 3."""
    from cancelflow import clock

    from functions.schedules import expire_orders

    unpaid_orders("h", 3, clock.now() - TIMEOUT - timedelta(minutes=1))
    with open("events/schedule-expire-orders.json") as f:
        event = json.load(f)

    result = expire_orders.handler(event, None)

    assert result["done"] == 3
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("orders_expired") == [3.0] or m.get("orders_expired") == 3.0 for m in emf)


def test_a_busy_shard_cannot_starve_the_others(aws: dict[str, str]) -> None:
    """GIVEN 40 due orders in the first four due shards and one in the last WHEN runs a
    minute apart have a budget of 4 (less than the 16 shards) THEN the lone order is expired
    while the busy shards still have orders waiting (each run starts at another shard)."""
    from cancelflow.settings import get_settings
    from cancelflow.store import keys

    from tests.schedules.factory import write_all

    n = get_settings().due_shards
    by_shard: dict[int, list[str]] = {}
    i = 0
    while sum(len(v) for k, v in by_shard.items() if k < 4) < 40 or n - 1 not in by_shard:
        oid = f"o_fair{i:06d}"
        s = keys.shard(oid, n)
        if (s < 4 and len(by_shard.get(s, [])) < 10) or (s == n - 1 and s not in by_shard):
            by_shard.setdefault(s, []).append(oid)
        i += 1
    write_all(unpaid_order_item(o, NOW) for ids in by_shard.values() for o in ids)
    lone = by_shard[n - 1][0]

    expired: list[str] = []
    for minute in range(n):
        expired += expire_due(LATER + timedelta(minutes=minute), budget=4).ids
        if lone in expired:
            break
    assert lone in expired
    assert len(expired) < 40  # the busy shards were not drained first


def test_a_run_out_of_time_starts_no_page_and_says_so(aws: dict[str, str]) -> None:
    """GIVEN due orders and a Lambda with less time left than the sweep's margin WHEN the
    scheduled event arrives THEN no page is read, nothing is half done, and the run reports
    work left for the next one."""
    from types import SimpleNamespace

    from cancelflow import clock

    from functions.schedules import expire_orders

    unpaid_orders("t", 5, clock.now() - TIMEOUT - timedelta(minutes=1))
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 0)

    result = expire_orders.handler({}, context)

    assert (result["requests"], result["done"], result["exhausted"]) == (0, 0, True)
    assert expire_due(clock.now()).done == 5  # the next run (with time) does it
