"""Chaos: 1,100 refunds through the simulated providers over HTTP on their real protocols (RSA
signed requests, signed answers and callbacks, WeChat callbacks encrypted) with seeded faults
(timeouts, 5xx, unknown results, refusals, closed accounts, failing queries, forged answers and
callbacks saying the money moved, signed with a key no provider holds) and duplicated, late,
shuffled callbacks; 100 of the orders paid twice (one refund per trade, each with its own
trade's total, every trade known to the simulator). The worker logic is driven directly (not
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
from tests.refunds.conftest import FORGED_REFUSED, SIM_CLOCK, SimAdmin, deliver, paid_order_owing

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


PAID_TWICE = range(200, 300)  # these orders were paid by two trades, each refunded in full


def _make_refunds(rng: random.Random) -> dict[str, Refund]:
    """1,100 refunds on 800 orders (200 of them refunded in two partial parts, 100 paid twice and
    refunded once per trade); channels mixed, every fifth order refunded to the customer's
    balance instead."""
    refunds: dict[str, Refund] = {}
    channels = ["alipay"] * 3 + ["wechat_pay"] * 3 + ["bank_card"] * 2
    for i in range(ORDERS):
        amount = rng.randint(100, 50000)
        parts = [amount]
        if i < 200:
            part = rng.randint(1, amount - 1)
            parts = [part, amount - part]
        to = "balance" if i % 5 == 0 else "original"
        channel = channels[i % len(channels)]
        _, made = paid_order_owing(f"cust{i % 97:03d}", amount, channel, parts, to, twice=i in PAID_TWICE)
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
    THEN every refund to an account that can receive it succeeded, and every other one waits
    for the customer (needs_customer_action): none was believed paid on a forged word, none
    given up on; the provider paid each refund number at most once and only after a query said
    it had not; refunded <= paid for every trade and every order; the balance ledger equals the
    succeeded balance refunds."""
    from cancelflow.settings import reset_settings

    monkeypatch.setenv("CANCELFLOW_PROVIDER_TIMEOUT_SECONDS", "0.3")
    # A refund goes to a person after refund_max_failures faults in all (6 in production). At these
    # fault rates about one attempt in four fails, so 6 faults on one of 1,100 refunds happens in
    # about one run in four once a slow machine turns a reply into a timeout and the seeded draws
    # shift (CI saw it: a bank refund refused INSUFFICIENT_FUNDS six times). The hand-over itself
    # is tested in test_refund_metrics/test_worker; here the claim is "no fault decides an
    # outcome", so the budget is one no run exhausts (0.25 ** 30 per refund).
    monkeypatch.setenv("CANCELFLOW_REFUND_MAX_FAILURES", "30")
    reset_settings()
    sim.reset(seed=2026, timeout_seconds=0.4, **FAULTS)
    rng = random.Random(2026)
    _run(sim, rng)


def _run(sim: SimAdmin, rng: random.Random) -> None:
    FORGED_REFUSED.clear()
    state = _make_refunds(rng)
    assert len(state) == ORDERS + 200 + len(PAID_TWICE)
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

    # Not succeeded if and only if the destination cannot receive it (the trade's account is
    # closed at the provider): no refund stopped on a fault, none succeeded on a forged answer.
    sim_books = sim.refunds()
    closed = {t for t, c in sim_books["closed"].items() if c}
    for r in stored.values():
        if r.channel.value == "balance":
            assert r.status is S.SUCCEEDED, (r.refund_id, r.status, r.last_error)
        else:
            want = S.NEEDS_CUSTOMER_ACTION if r.payment_id in closed else S.SUCCEEDED
            assert r.status is want, (r.refund_id, r.channel, r.status, r.last_error)
    assert closed and statuses["succeeded"] >= 1000
    # the forgery fault fired on answers and on callbacks, and none was believed
    calls = [c for calls in sim_books["calls"].values() for c in calls]
    forged = [c for c in calls if c.endswith(":forged")]
    refusals = [c for c in calls if c.endswith(":forged_refusal")]  # unsigned "refused": not believed
    print(
        f"forged answers: {len(forged)} 'paid', {len(refusals)} 'refused';",
        f"forged callbacks refused: {len(FORGED_REFUSED)}",
    )
    assert len(forged) >= 10 and len(refusals) >= 10 and len(FORGED_REFUSED) >= 5
    # each refund went to a trade the provider knows, with that trade's total (WeChat checks it)
    assert not [
        c for calls in sim_books["calls"].values() for c in calls if "invalid" in c or "no_trade" in c
    ]

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
    # every trade by the provider's books (pay-<order>, and pay-<order>-2 for those paid twice)
    per_trade: dict[str, int] = defaultdict(int)
    for p in books["payouts"]:
        per_trade[p["trade"]] += p["amount"]
    twice = 0
    for o in (i for i in items if i["sk"] == "ORDER"):
        assert out[o["order_id"]] <= o["paid_amount"]
        assert o["refunded_amount"] <= o["paid_amount"]
        trades = o.get("trades") or [{"payment_id": o["payment_id"], "amount": o["paid_amount"]}]
        twice += len(trades) == 2
        for t in trades:
            assert per_trade.get(t["payment_id"], 0) <= t["amount"] == sim_books["trades"][t["payment_id"]]
    assert twice == len(PAID_TWICE)

    # Each succeeded refund shows once as succeeded in its order's timeline (the outbox).
    succeeded = Counter(i["detail"]["refund_id"] for i in items if i.get("event") == "refund.succeeded")
    assert set(succeeded) == {rid for rid, r in stored.items() if r.status is S.SUCCEEDED}
    assert set(succeeded.values()) == {1}
