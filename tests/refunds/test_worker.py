"""The refund worker against the simulated provider over HTTP: each channel, interruptions,
concurrency. Payouts are read back from the provider's own books."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
from cancelflow.refunds import lifecycle, results, worker
from cancelflow.refunds.model import Outcome, RefundStatus
from cancelflow.refunds.providers import for_channel
from cancelflow.store import history, ledger

from tests.conftest import NOW
from tests.refunds.conftest import (
    REQUEST_FLOOR,
    SIM_CLOCK,
    SimAdmin,
    deliver,
    later,
    owe_refund,
    paid_order,
)


def _payouts(sim: SimAdmin, refund_id: str) -> int:
    no = refund_id.replace("_", "")
    return sum(1 for p in sim.payouts()["payouts"] if p["refund_no"] == no)


def test_alipay_refund_succeeds_on_first_attempt(sim: SimAdmin) -> None:
    """GIVEN a paid Alipay order owing a refund WHEN the worker runs THEN it succeeds at once,
    the provider paid once, and the timeline shows processing then succeeded."""
    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    a = worker.process(rid, later(1))
    assert a.result == "succeeded"
    assert _payouts(sim, rid) == 1
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.SUCCEEDED and r.attempts == 1
    events = [h.event for h in history.timeline(oid) if h.event.startswith("refund.")]
    assert events == ["refund.processing", "refund.succeeded"]


def test_partial_alipay_refunds_each_pay_their_own_number(sim: SimAdmin) -> None:
    """GIVEN two partial refunds of one Alipay trade WHEN both run THEN two payouts, summing to
    no more than what was paid."""
    oid = paid_order("c1", 10000, "alipay")
    r1, r2 = owe_refund(oid, 3000), owe_refund(oid, 7000)
    assert worker.process(r1, later(1)).result == worker.process(r2, later(1)).result == "succeeded"
    pays = [p for p in sim.payouts()["payouts"] if p["trade"] == f"pay-{oid}"]
    assert sorted(p["amount"] for p in pays) == [3000, 7000]


def test_wechat_refund_is_asynchronous_and_callback_completes_it(sim: SimAdmin) -> None:
    """GIVEN a WeChat Pay refund WHEN the worker submits THEN it stays processing (accepted, a
    poll is scheduled); WHEN the signed callback arrives three times THEN it is applied once."""
    oid = paid_order("c1", 5000, "wechat_pay")
    rid = owe_refund(oid, 5000)
    a = worker.process(rid, later(1))
    assert a.result == "processing" and a.requeue_in == timedelta(minutes=1)
    sim.config(duplicate_callbacks=1.0)
    applied = deliver(sim, later(2))
    assert len(applied) >= 2 and [c for _, c in applied].count(True) == 1
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.SUCCEEDED
    assert _payouts(sim, rid) == 1
    succeeded = [h for h in history.timeline(oid) if h.event == "refund.succeeded"]
    assert len(succeeded) == 1


def test_wechat_refund_without_callback_is_found_by_the_poll(sim: SimAdmin) -> None:
    """GIVEN an accepted WeChat refund whose callback never comes WHEN its poll is due THEN the
    worker queries (never resubmits) and records success."""
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    worker.process(rid, later(1))
    assert worker.process(rid, later(1.5)).result == "skipped:leased"  # not due yet
    assert worker.process(rid, later(3)).result == "succeeded"
    calls = sim.refunds()["calls"][rid.replace("_", "")]
    assert [c.split(":")[0] for c in calls] == ["submit", "query"]


def test_bank_card_settles_after_business_days(sim: SimAdmin) -> None:
    """GIVEN a bank-card refund accepted on a Friday WHEN the bank settles one business day later
    (Monday, CST) THEN the worker polls at the bank's settlement time and records success."""
    rid = owe_refund(paid_order("c1", 8000, "bank_card"), 8000)
    a = worker.process(rid, NOW)
    assert a.result == "processing"
    r = lifecycle.get_refund(rid)
    assert r and r.lease_until is not None
    assert r.lease_until.weekday() == 0  # Friday 10:00 CST + 1 business day = Monday 10:00 CST
    assert a.requeue_in is None  # longer than SQS can delay: the sweep hands it back
    SIM_CLOCK.t = r.lease_until
    assert worker.process(rid, r.lease_until).result == "succeeded"
    assert _payouts(sim, rid) == 1


def test_balance_refund_credits_the_ledger_once(sim: SimAdmin) -> None:
    """GIVEN a refund to balance WHEN credited, and the credit repeated THEN the ledger holds one
    credit and the balance equals it."""
    oid = paid_order("c9", 4200, "alipay")
    rid = owe_refund(oid, 4200, refund_to="balance")
    assert worker.process(rid, later(1)).result == "succeeded"
    r = lifecycle.get_refund(rid)
    assert r is not None
    req = worker.request_for(r)
    assert for_channel(r.channel).submit(req, later(2)).outcome is Outcome.SUCCEEDED  # repeated
    assert ledger.balance("c9") == 4200 and len(ledger.credits("c9")) == 1


def test_interrupted_refund_is_found_by_query_and_not_paid_again(
    sim: SimAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a worker that dies after the provider accepted the refund but before recording it
    WHEN the next attempt runs after the lease THEN it queries, finds it paid, records success,
    and the provider paid once."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)

    def die(*args: object, **kw: object) -> None:
        raise SystemExit("worker killed")

    monkeypatch.setattr(results, "record", die)
    with pytest.raises(SystemExit):
        worker.process(rid, later(1))
    monkeypatch.undo()
    r = lifecycle.get_refund(rid)
    assert r and r.status is RefundStatus.PROCESSING and _payouts(sim, rid) == 1
    assert worker.process(rid, later(1)).result == "skipped:leased"
    assert worker.process(rid, later(4)).result == "succeeded"
    assert _payouts(sim, rid) == 1
    calls = sim.refunds()["calls"][rid.replace("_", "")]
    assert calls == ["submit:ok", "query:paid"]


def test_second_worker_during_a_submit_does_nothing(sim: SimAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN worker A inside the provider call WHEN worker B gets the same refund THEN B skips it
    (the claim is held) and the refund is paid once."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    seen: list[str] = []
    real = worker.execute

    def execute_with_intruder(*args: object, **kw: object) -> object:
        seen.append(worker.process(rid, later(1), worker_id="B").result)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(worker, "execute", execute_with_intruder)
    assert worker.process(rid, later(1), worker_id="A").result == "succeeded"
    assert seen == ["skipped:leased"]
    assert _payouts(sim, rid) == 1


class _Serialised:
    """DynamoDB executes each request atomically; moto in-process does not under threads, so
    each request is made atomic here (the provider calls still overlap freely)."""

    def __init__(self, client: object) -> None:
        self._client, self._lock = client, threading.Lock()

    def __getattr__(self, name: str) -> object:
        fn = getattr(self._client, name)

        def call(*a: object, **kw: object) -> object:
            with self._lock:
                return fn(*a, **kw)

        return call


def test_two_workers_at_once_pay_once(sim: SimAdmin, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN 20 refunds WHEN two worker threads start each one at the same moment THEN each is
    claimed by exactly one of them and paid exactly once."""
    from cancelflow import aws

    monkeypatch.setattr(aws, "dynamodb", lambda client=_Serialised(aws.dynamodb()): client)
    rids = [owe_refund(paid_order(f"c{i}", 1000 + i, "alipay"), 1000 + i) for i in range(20)]
    for rid in rids:
        gate = threading.Barrier(2)
        out: list[str] = []

        def run(name: str, rid: str = rid, gate: threading.Barrier = gate, out: list[str] = out) -> None:
            gate.wait()
            out.append(worker.process(rid, later(1), worker_id=name).result)

        ts = [threading.Thread(target=run, args=(n,)) for n in ("A", "B")]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert out.count("succeeded") == 1 and len(out) == 2, out
    payouts = sim.payouts()
    assert payouts["max_per_refund_no"] == 1 and len(payouts["payouts"]) == 20


def test_unknown_result_is_queried_before_any_retry(sim: SimAdmin) -> None:
    """GIVEN a provider that answers every submit with an unknown result after acting WHEN the
    worker runs THEN it queries at once and records the success it finds: no resubmit."""
    sim.config(unknown_result=1.0)
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    a = worker.process(rid, later(1))
    assert a.result == "succeeded"
    calls = sim.refunds()["calls"][rid.replace("_", "")]
    assert calls == ["submit:unknown_result", "query:SUCCESS"]
    assert _payouts(sim, rid) == 1


def test_failures_back_off_then_need_attention(sim: SimAdmin) -> None:
    """GIVEN a merchant account without balance WHEN every attempt is refused THEN the refund is
    failed with a growing next attempt time, and needs attention after the maximum."""
    sim.config(insufficient_balance=1.0)
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    t, waits = later(1), []
    for _ in range(10):
        a = worker.process(rid, t)
        if a.result != "failed":
            break
        r = lifecycle.get_refund(rid)
        assert r is not None
        waits.append((r.next_attempt_at - t).total_seconds())
        assert worker.process(rid, t).result == "skipped:not_due"
        t = r.next_attempt_at
    assert a.result == "needs_attention"
    assert len(waits) == 5 and all(y > x for x, y in itertools.pairwise(waits))
    assert sim.payouts()["payouts"] == []


def test_closed_account_needs_the_customer_then_retry_pays(sim: SimAdmin) -> None:
    """GIVEN a destination account that is closed WHEN the refund runs THEN it needs customer
    action; WHEN the customer fixes the account and support retries THEN it pays once."""
    from cancelflow.refunds import support

    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    sim.set_account(f"pay-{oid}", closed=True)
    assert worker.process(rid, later(1)).result == "needs_customer_action"
    sim.set_account(f"pay-{oid}", closed=False)
    support.retry(rid, "support-1", later(30))
    assert worker.process(rid, later(31)).result == "succeeded"
    assert _payouts(sim, rid) == 1


def test_missing_credentials_back_off_instead_of_looping(
    sim: SimAdmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a worker without provider credentials WHEN it runs a refund THEN the attempt is a
    failure with an unknown outcome (backoff, later a person), not an endless redelivery, and the
    error names no secret."""
    from cancelflow.refunds import credentials
    from cancelflow.settings import reset_settings

    monkeypatch.delenv("CANCELFLOW_PROVIDER_CREDENTIALS")
    reset_settings()
    credentials.forget()
    rid = owe_refund(paid_order("c1", 5000, "wechat_pay"), 5000)
    a = worker.process(rid, later(1))
    assert a.result == "failed" and a.refund is not None
    assert a.refund.last_error == "CredentialsMissing" and a.requeue_in is not None
    assert sim.payouts()["payouts"] == []


def test_alipay_repeat_request_is_confirmed_by_query(sim: SimAdmin) -> None:
    """GIVEN an Alipay refund already paid WHEN the same out_request_no is submitted again THEN
    Alipay answers success without moving money (fund_change=N), which the client treats as
    "ask the query API", and the query confirms REFUND_SUCCESS: still one payout."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    assert worker.process(rid, later(1)).result == "succeeded"
    r = lifecycle.get_refund(rid)
    assert r is not None
    alipay, req = for_channel(r.channel), worker.request_for(r)
    again = alipay.submit(req, later(2))
    assert again.outcome is Outcome.UNKNOWN and again.provider_status == "fund_change=N"
    assert alipay.query(req, later(2)).outcome is Outcome.SUCCEEDED
    assert _payouts(sim, rid) == 1


def test_bank_account_returned_needs_the_customer(sim: SimAdmin) -> None:
    """GIVEN a bank-card refund to a closed account WHEN the bank settles it THEN it is RETURNED
    and the refund needs the customer; nothing was paid."""
    oid = paid_order("c1", 8000, "bank_card")
    rid = owe_refund(oid, 8000)
    sim.set_account(f"pay-{oid}", closed=True)
    assert worker.process(rid, NOW).result == "processing"
    r = lifecycle.get_refund(rid)
    assert r is not None and r.lease_until is not None
    SIM_CLOCK.t = r.lease_until
    assert worker.process(rid, r.lease_until).result == "needs_customer_action"
    assert _payouts(sim, rid) == 0


def test_polls_of_an_accepted_refund_query_only_and_keep_the_timeline_short(sim: SimAdmin) -> None:
    """GIVEN a WeChat refund the provider accepted but settles only after an hour WHEN it is polled
    again and again THEN each poll only queries (no claim, no submit), waits longer each time, and
    adds nothing to the customer's timeline until the result: processing, accepted, succeeded."""
    sim.config(wechat_settle_seconds=3600)
    oid = paid_order("c1", 5000, "wechat_pay")
    rid = owe_refund(oid, 5000)
    a = worker.process(rid, later(1))
    waits = []
    for _ in range(10):
        assert a.refund is not None and a.refund.lease_until is not None
        t = a.refund.lease_until
        SIM_CLOCK.t = t
        a = worker.process(rid, t)
        if a.result != "processing":
            break
        assert a.refund is not None and a.refund.lease_until is not None
        waits.append(a.refund.lease_until - t)
    assert a.result == "succeeded"
    assert len(waits) >= 2 and waits == sorted(waits)
    calls = sim.refunds()["calls"][rid.replace("_", "")]
    assert calls[0].startswith("submit") and all(c.startswith("query") for c in calls[1:])
    events = [h.event for h in history.timeline(oid) if h.event.startswith("refund.")]
    assert events == ["refund.processing", "refund.accepted", "refund.succeeded"]


@pytest.mark.parametrize("channel", list(REQUEST_FLOOR))
def test_a_first_attempt_costs_its_request_floor(sim: SimAdmin, channel: str) -> None:
    """GIVEN a refund owed on each channel WHEN the worker's queue handler makes its first
    attempt THEN it sends exactly the floor of DynamoDB requests and one provider request (none
    for balance): signing and verifying add CPU, never a request."""
    from cancelflow import aws
    from cancelflow.messages import RefundMessage

    balance = channel == "balance"
    oid = paid_order("c1", 5000, "alipay" if balance else channel)
    rid = owe_refund(oid, 5000, refund_to="balance" if balance else "original")
    sent: list[str] = []

    def count(event_name: str, **kw: object) -> None:
        sent.append(event_name)

    client = aws.dynamodb()
    client.meta.events.register("before-call.dynamodb.*", count)
    try:
        worker.handle_message(RefundMessage(refund_id=rid).to_json(), later(1))
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", count)
    assert len(sent) == REQUEST_FLOOR[channel], sent
    provider_calls = sum(len(v) for v in sim.refunds()["calls"].values())
    assert provider_calls == (0 if balance else 1)
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status in (RefundStatus.SUCCEEDED, RefundStatus.PROCESSING)
