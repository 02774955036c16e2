"""Chaos: 1,000 refunds through the simulated providers over HTTP on their real protocols (RSA
signed requests, signed answers and callbacks, WeChat callbacks encrypted) with seeded faults
(timeouts, 5xx, unknown results, refusals, closed accounts, failing queries, answers with a bad
signature) and duplicated, late, shuffled callbacks. The worker logic is driven directly (not
through SQS) in an event-driven loop over business time."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from cancelflow import aws
from cancelflow.refunds import worker
from cancelflow.store import ddb
from cancelflow.store.refunds import Refund, RefundStatus, decode

from tests.conftest import NOW
from tests.refunds.conftest import SIM_CLOCK, SimAdmin, deliver, paid_order_owing

S = RefundStatus
ORDERS = 800
FINAL = {S.SUCCEEDED, S.NEEDS_ATTENTION, S.NEEDS_CUSTOMER_ACTION}
FAULTS = {
    "timeout": 0.004,
    "error_5xx": 0.06,
    "unknown_result": 0.06,
    "insufficient_balance": 0.06,
    "closed_account": 0.03,
    "query_error": 0.08,
    "bad_signature": 0.03,
    "duplicate_callbacks": 0.5,
    "late_callbacks": 0.3,
}


def _make_refunds(rng: random.Random) -> dict[str, Refund]:
    """1,000 refunds on 800 orders (200 of them refunded in two partial parts); channels mixed,
    every fifth order refunded to the customer's balance instead."""
    refunds: dict[str, Refund] = {}
    channels = ["alipay"] * 3 + ["wechat_pay"] * 3 + ["bank_card"] * 2
    for i in range(ORDERS):
        amount = rng.randint(100, 50000)
        parts = [amount]
        if i < 200:
            part = rng.randint(1, amount - 1)
            parts = [part, amount - part]
        to = "balance" if i % 5 == 0 else "original"
        _, made = paid_order_owing(f"cust{i % 97:03d}", amount, channels[i % len(channels)], parts, to)
        refunds |= {r.refund_id: r for r in made}
    return refunds


def _due(r: Refund) -> datetime:
    if r.status is S.PROCESSING and r.lease_until is not None:
        return r.lease_until
    return r.next_attempt_at


def _scan() -> list[ddb.Item]:
    """The whole table, for the checks afterwards (a few requests instead of thousands)."""
    out, start = [], None
    while True:
        kw = {"TableName": ddb.table(), "ConsistentRead": True} | (
            {"ExclusiveStartKey": start} if start else {}
        )
        r = aws.dynamodb().scan(**kw)
        out += [ddb.from_item(i) for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            return out


@pytest.mark.slow
@pytest.mark.timeout(900)  # about a minute alone; minutes on a machine shared by many
def test_thousand_refunds_under_faults_pay_at_most_once(
    sim: SimAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN 1,000 refunds and a provider with seeded faults and duplicated/late callbacks
    WHEN the worker and the callbacks run until nothing is due
    THEN every refund is succeeded, needs_attention or needs_customer_action; the provider paid
    each refund number at most once and only after a query said it had not; refunded <= paid
    for every trade and every order; the balance ledger equals the succeeded balance refunds."""
    from cancelflow.settings import reset_settings

    monkeypatch.setenv("CANCELFLOW_PROVIDER_TIMEOUT_SECONDS", "0.3")
    reset_settings()
    sim.reset(seed=2026, timeout_seconds=0.4, **FAULTS)
    rng = random.Random(2026)
    _run(sim, rng)


def _run(sim: SimAdmin, rng: random.Random) -> None:
    state = _make_refunds(rng)
    assert len(state) == ORDERS + 200
    t = NOW
    for _round in range(400):
        open_ = {rid: r for rid, r in state.items() if r.status not in FINAL}
        if not open_:
            break
        t = max(t, min(_due(r) for r in open_.values()))
        SIM_CLOCK.t = t
        for rid, r in open_.items():
            if _due(r) <= t:
                state[rid] = worker.process(rid, t).refund or r
        for fresh, _changed in deliver(sim, t, pick=lambda cbs: rng.sample(cbs, len(cbs))):
            state[fresh.refund_id] = fresh

    items = _scan()
    stored = {i["refund_id"]: decode(i) for i in items if i["sk"] == "REFUND"}
    assert stored.keys() == state.keys()
    statuses = Counter(r.status.value for r in stored.values())
    print("\nchaos outcome:", dict(statuses))
    assert set(statuses) <= {s.value for s in FINAL}, statuses
    assert statuses["succeeded"] >= 900

    books = sim.payouts()
    assert books["max_per_refund_no"] <= 1
    by_no = {p["refund_no"]: p for p in books["payouts"]}
    out: dict[str, int] = defaultdict(int)  # order -> money that left (provider payouts + credits)
    for r in stored.values():
        p = by_no.get(r.refund_no)
        if r.channel.value == "balance":
            assert p is None
            continue
        if r.status is S.SUCCEEDED:
            assert p is not None and p["amount"] == r.amount
        if r.status is S.NEEDS_CUSTOMER_ACTION:
            assert p is None
        if p is not None:
            out[r.order_id] += p["amount"]

    # Query before resubmit: a refund number is submitted again only right after a query
    # said the provider had never taken it.
    for no, calls in sim.refunds()["calls"].items():
        for i, call in enumerate(calls):
            if call.startswith("submit:") and i > 0:
                assert calls[i - 1] == "query:none", (no, calls)

    # The balance ledger: one credit per succeeded balance refund, and every balance adds up.
    credits = [i for i in items if i["sk"].startswith("CREDIT#")]
    balances = {i["customer_id"]: i["balance"] for i in items if i["sk"] == "BALANCE"}
    per_customer: dict[str, int] = defaultdict(int)
    for c in credits:
        per_customer[c["customer_id"]] += c["amount"]
        out[stored[c["refund_id"]].order_id] += c["amount"]
    assert per_customer == balances
    credited = Counter(c["refund_id"] for c in credits)
    ok = {rid for rid, r in stored.items() if r.channel.value == "balance" and r.status is S.SUCCEEDED}
    assert set(credited) == ok and set(credited.values()) == {1}

    # refunded <= paid for every order, by the books and by the order's own counter, and for
    # every trade by the provider's books (each order here is paid by one trade, pay-<order>)
    per_trade: dict[str, int] = defaultdict(int)
    for p in books["payouts"]:
        per_trade[p["trade"]] += p["amount"]
    for o in (i for i in items if i["sk"] == "ORDER"):
        assert out[o["order_id"]] <= o["paid_amount"]
        assert o["refunded_amount"] <= o["paid_amount"]
        assert per_trade.get(o["payment_id"], 0) <= o["paid_amount"]

    # Each succeeded refund shows once as succeeded in its order's timeline (the outbox).
    succeeded = Counter(i["detail"]["refund_id"] for i in items if i.get("event") == "refund.succeeded")
    assert set(succeeded) == {rid for rid, r in stored.items() if r.status is S.SUCCEEDED}
    assert set(succeeded.values()) == {1}
