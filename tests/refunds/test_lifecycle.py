"""The refund lifecycle: transitions are conditional, recorded in the order's history, keep the
by-status index in step, and feed the events outbox."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from cancelflow.clock import parse
from cancelflow.domain.products import Channel
from cancelflow.refunds import lifecycle, views, worker
from cancelflow.refunds.lifecycle import ALLOWED, StaleRefund
from cancelflow.refunds.model import Outcome, ProviderResult, RefundStatus
from cancelflow.refunds.results import plan, record
from cancelflow.store import ddb, history, keys, orders, payments

from tests.conftest import NOW
from tests.refunds.conftest import SIM_CLOCK, SimAdmin, deliver, later, owe_refund, paid_order

S = RefundStatus


def test_succeeded_is_final_and_every_state_can_still_learn_success() -> None:
    """GIVEN the transition table THEN nothing leaves succeeded, and every other state accepts the
    provider's word that the money moved."""
    assert ALLOWED[S.SUCCEEDED] == frozenset()
    assert all(S.SUCCEEDED in ALLOWED[s] for s in S if s is not S.SUCCEEDED)


def test_transition_is_conditional_on_the_version_read(aws: dict[str, str]) -> None:
    """GIVEN a refund read at version 1 WHEN it is moved once, then moved again from the same
    stale read THEN the second is StaleRefund and only one history entry exists."""
    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    r = lifecycle.get_refund(rid)
    assert r is not None
    lifecycle.transition(r, S.PROCESSING, now=later(1), actor="system", actor_id="w1")
    with pytest.raises(StaleRefund):
        lifecycle.transition(r, S.PROCESSING, now=later(2), actor="system", actor_id="w2")
    assert [h.event for h in history.timeline(oid)] == ["refund.processing"]


def test_index_entries_follow_the_status(aws: dict[str, str]) -> None:
    """GIVEN a pending refund WHEN it fails, then succeeds THEN its by-status key names each
    status in turn (failed: sorted by next attempt time), and success takes it off the SLA index."""
    rid = owe_refund(paid_order("c1", 5000, "alipay"), 5000)
    r = lifecycle.get_refund(rid)
    assert r is not None
    r = lifecycle.transition(r, S.PROCESSING, now=later(1), actor="system", actor_id="w")
    nxt = later(3)
    r = lifecycle.transition(
        r, S.FAILED, now=later(1), actor="system", actor_id="w", set_={"next_attempt_at": nxt}
    )
    item = ddb.get(keys.refund_pk(rid), "REFUND")
    assert (
        item
        and item["status_pk"].startswith("REFUND#failed#")
        and item["status_sk"].startswith("2026-11-27T02:03:00.000Z#")
    )
    assert item["due_pk"].startswith("DUE#REFUND#")
    # the store takes a succeeded refund off the SLA index itself (never overdue again)
    r = lifecycle.transition(r, S.SUCCEEDED, now=later(4), actor="system", actor_id="w")
    item = ddb.get(keys.refund_pk(rid), "REFUND")
    assert item and item["status_pk"].startswith("REFUND#succeeded#") and "due_pk" not in item
    assert item["version"] == r.version == 4


def test_history_entries_become_domain_events(aws: dict[str, str]) -> None:
    """GIVEN a refund that succeeded WHEN its history entry goes through the events outbox THEN it
    is a refund.succeeded event with the refund id, amount and channel."""
    from cancelflow.events.outbox import from_history

    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000, refund_to="balance")
    assert worker.process(rid, later(1)).result == "succeeded"
    entry = next(h for h in history.timeline(oid) if h.event == "refund.succeeded")
    ev = from_history(entry)
    assert ev is not None
    dumped = msgspec.to_builtins(ev.detail)
    assert dumped["refund_id"] == rid and dumped["amount"] == 5000 and dumped["channel"] == "balance"


def test_a_late_negative_word_cannot_undo_success(aws: dict[str, str]) -> None:
    """GIVEN a succeeded refund WHEN any other provider outcome arrives afterwards THEN nothing
    changes (plan is None)."""
    rid = owe_refund(paid_order("c1", 5000, "balance"), 5000)
    worker.process(rid, later(1))
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is S.SUCCEEDED
    for o in Outcome:
        assert plan(r, ProviderResult(o), later(2), later(3)) is None


def test_two_callbacks_racing_apply_success_once(aws: dict[str, str]) -> None:
    """GIVEN a processing refund read by two callback handlers WHEN both record success from the
    same stale read THEN one changes it, the other finds it done: one succeeded entry."""
    oid = paid_order("c1", 5000, "wechat_pay")
    rid = owe_refund(oid, 5000)
    r = lifecycle.get_refund(rid)
    assert r is not None
    r = lifecycle.transition(r, S.PROCESSING, now=later(1), actor="system", actor_id="w")
    ok = ProviderResult(Outcome.SUCCEEDED, provider_status="SUCCESS")
    a, changed_a = record(r, ok, later(2), actor_id="cb1")
    b, changed_b = record(r, ok, later(2), actor_id="cb2")
    assert (changed_a, changed_b) == (True, False) and a.status is b.status is S.SUCCEEDED
    assert [h.event.value for h in history.timeline(oid)].count("refund.succeeded") == 1


def test_stale_returned_callback_is_checked_against_the_provider(sim: SimAdmin) -> None:
    """GIVEN a card refund the acquirer RETURNED (account closed), then fixed and retried WHEN
    the old RETURNED callback arrives late, after the retry was accepted THEN the notify use case
    queries the provider, which says SETTLED, so the refund succeeds instead of going back.
    (WeChat's ABNORMAL is not retried under its number: test_wechat_abnormal_* below.)"""
    from cancelflow.refunds import support

    sim.config(bank_settle_days=0)
    oid = paid_order("c1", 5000, "bank_card")
    rid = owe_refund(oid, 5000)
    sim.set_account(f"pay-{oid}", closed=True)
    assert worker.process(rid, later(1)).result == "processing"
    sim.config(late_callbacks=1.0)
    assert deliver(sim, later(2)) == []  # the ABNORMAL callback is held back (late)
    r = lifecycle.get_refund(rid)
    assert r is not None
    assert worker.process(rid, r.lease_until or later(3)).result == "needs_customer_action"  # polled
    sim.set_account(f"pay-{oid}", closed=False)
    sim.config(late_callbacks=0.0)
    support.retry(rid, "support-1", later(10))
    assert worker.process(rid, later(11)).result in ("processing", "succeeded")
    results = deliver(sim, later(12))  # the late RETURNED, then the new SETTLED
    final = lifecycle.get_refund(rid)
    assert final is not None and final.status is S.SUCCEEDED, results
    assert len([p for p in sim.payouts()["payouts"] if p["trade"] == f"pay-{oid}"]) == 1


def test_late_payment_three_times_is_refunded_once_end_to_end(sim: SimAdmin, catalog: dict[str, str]) -> None:
    """GIVEN an order that expired unpaid WHEN its payment notification arrives three times THEN
    one full refund exists, the worker pays it once through the provider, and the order shows
    paid == refunded."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    late = NOW + timedelta(minutes=20)
    sim.trade("pay-late-1", o.amount)  # the customer paid it at Alipay
    results = [
        payments.confirm_payment(o.order_id, "pay-late-1", o.amount, Channel.ALIPAY, late) for _ in range(3)
    ]
    rids = {r.refund_id for r in results}
    assert len(rids) == 1 and None not in rids
    (rid,) = rids
    assert rid is not None
    for _ in range(3):  # the queue may deliver it several times too
        worker.process(rid, late + timedelta(minutes=1))
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is S.SUCCEEDED and r.amount == o.amount and r.reason == "late_payment"
    pays = sim.payouts()["payouts"]
    assert len(pays) == 1 and pays[0]["amount"] == o.amount and pays[0]["trade"] == "pay-late-1"
    final = orders.require_order(o.order_id)
    assert final.paid_amount == final.refunded_amount == o.amount
    events = [h.event.value for h in history.timeline(o.order_id)]
    assert events.count("payment.late_refunded") == 1 and events.count("refund.succeeded") == 1


@pytest.mark.parametrize("channel", ["alipay", "wechat_pay", "bank_card"])
def test_a_succeeded_refund_keeps_when_the_provider_says_the_money_moved(sim: SimAdmin, channel: str) -> None:
    """GIVEN a refund paid by the provider WHEN its success is learnt (Alipay's answer, WeChat's
    callback, the acquirer's callback) THEN the refund keeps the provider's time of the payout
    (gmt_refund_pay, success_time: to the second, as they state it; settle_at) as ``settled_at``
    and the provider's refund id, both shown on the refund: what a customer disputing it cites."""
    sim.config(bank_settle_days=0)
    rid = owe_refund(paid_order("c1", 5000, channel), 5000)
    SIM_CLOCK.t = later(1) + timedelta(seconds=7, milliseconds=250)
    worker.process(rid, later(1))
    deliver(sim, later(2))
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is S.SUCCEEDED
    (payout,) = [p for p in sim.payouts()["payouts"] if p["refund_no"] == r.refund_no]
    assert r.settled_at is not None
    assert parse(payout["at"]) - timedelta(seconds=1) < r.settled_at <= parse(payout["at"])
    assert r.settled_at != r.succeeded_at  # the provider's clock, not the moment we learnt it
    assert r.provider_ref and views.view(r).provider_ref == r.provider_ref
    assert views.view(r).settled_at == r.settled_at


def test_wechat_abnormal_is_paid_again_only_to_a_new_card(sim: SimAdmin) -> None:
    """GIVEN a WeChat refund that came back ABNORMAL (the buyer's card closed) WHEN support
    retries it without a new card THEN nothing is resubmitted (WeChat would not pay it under
    its number) and it waits for the customer again, ``needs_new_card``; WHEN the client resumes
    it with the customer's new debit card THEN 发起异常退款 is sent (card number and name
    encrypted: the simulator decrypts them with the platform key), the refund settles, paid
    once."""
    from cancelflow.refunds import support
    from cancelflow.refunds.providers.base import NewCard
    from cancelflow.refunds.providers.wechat_pay import WechatPay

    oid = paid_order("c1", 5000, "wechat_pay")
    rid = owe_refund(oid, 5000)
    sim.set_account(f"pay-{oid}", closed=True)
    assert worker.process(rid, later(1)).result == "processing"
    deliver(sim, later(2))
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is S.NEEDS_CUSTOMER_ACTION
    support.retry(rid, "support-1", later(10))
    again = worker.process(rid, later(11))
    assert again.result == "needs_customer_action" and again.refund is not None
    assert again.refund.last_error == "needs_new_card"
    calls = sim.refunds()["calls"][r.refund_no]
    assert [c for c in calls if c.startswith("submit")] == ["submit:ok"]  # never resubmitted
    card = NewCard("ICBC_DEBIT", "6222020000001234", "李雷")
    assert "6222" not in repr(card) and "李雷" not in repr(card)
    req = worker.request_for(again.refund)
    got = WechatPay().resume(req, later(12), WechatPay().query(req, later(12)), card)
    assert got.outcome is Outcome.PENDING
    assert sim.refunds()["refunds"][r.refund_no]["new_card"] == "ICBC_DEBIT:1234"
    (paid,) = deliver(sim, later(13))
    assert paid[0].status is S.SUCCEEDED
    assert [p["refund_no"] for p in sim.payouts()["payouts"]] == [r.refund_no]
    # and once more changes nothing: the refund is no longer ABNORMAL
    found = WechatPay().query(req, later(14))
    assert WechatPay().resume(req, later(14), found, card).outcome is Outcome.SUCCEEDED
    assert len(sim.payouts()["payouts"]) == 1
