"""Customer recovery of a stuck refund (docs/domain.md, "Refund recovery"): the customer's fix of
a destination that cannot receive the money, and the chase (催办) of a late refund, at the use
cases with the provider simulator; the race of a fix with support's retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.cancel import chase_refund, fix_refund
from cancelflow.domain.products import Channel
from cancelflow.domain.refund_recovery import Fix
from cancelflow.errors import DomainError
from cancelflow.refunds import lifecycle, support, worker
from cancelflow.refunds.model import RefundStatus
from cancelflow.store import history, ledger, refunds
from cancelflow.store.refunds import Refund, cards

from tests.integration.lifecycle_world import race
from tests.refunds.conftest import SIM_CLOCK, SimAdmin, deliver, later, owe_refund, paid_order

S = RefundStatus
CARD = cards.Card("ICBC_DEBIT", "6222020000005678", "韩梅梅")


def _payouts(sim: SimAdmin, refund_id: str) -> int:
    no = refund_id.replace("_", "")
    return sum(1 for p in sim.payouts()["payouts"] if p["refund_no"] == no)


def _stuck(sim: SimAdmin, channel: str, customer: str = "c1", amount: int = 5000) -> tuple[str, str]:
    """An order of ``customer`` whose refund's destination is closed: the refund waits for them."""
    oid = paid_order(customer, amount, channel)
    rid = owe_refund(oid, amount)
    sim.set_account(f"pay-{oid}", closed=True)
    worker.process(rid, later(1))
    deliver(sim, later(2))  # WeChat says ABNORMAL in its callback
    r = _get(rid)
    if r.status is S.PROCESSING and r.lease_until is not None:  # the acquirer: RETURNED on the next look
        SIM_CLOCK.t = r.lease_until
        worker.process(rid, r.lease_until)
    assert _get(rid).status is S.NEEDS_CUSTOMER_ACTION, r
    return oid, rid


def _get(rid: str) -> Refund:
    r = lifecycle.get_refund(rid)
    assert r is not None
    return r


@pytest.mark.parametrize("channel", ["alipay", "wechat_pay", "bank_card"])
def test_switching_to_balance_credits_once_and_never_asks_the_provider_again(
    sim: SimAdmin, channel: str
) -> None:
    """GIVEN a refund whose account is closed WHEN its customer takes the balance instead THEN the
    refund becomes a balance refund (switched_from the channel), the ledger credits it once, the
    provider is never asked again and paid nothing; the timeline says the customer fixed it."""
    oid, rid = _stuck(sim, channel)
    calls_before = list(sim.refunds()["calls"].get(rid.replace("_", ""), []))
    r = fix_refund.fix("c1", oid, rid, Fix.TO_BALANCE, later(10))
    assert r.status is S.PENDING and r.channel is Channel.BALANCE and r.switched_from == Channel(channel)
    assert worker.process(rid, later(11)).result == "succeeded"
    assert worker.process(rid, later(12)).result.startswith("skipped")
    assert ledger.balance("c1") == 5000 and len(ledger.credits("c1")) == 1
    assert _payouts(sim, rid) == 0
    assert sim.refunds()["calls"].get(rid.replace("_", ""), []) == calls_before
    fixed = [h for h in history.timeline(oid) if h.event == "refund.destination_fixed"]
    assert [(h.actor, h.reason) for h in fixed] == [("customer", "customer_to_balance")]


@pytest.mark.parametrize("channel", ["alipay", "bank_card"])
def test_confirming_the_reopened_account_pays_it_once(sim: SimAdmin, channel: str) -> None:
    """GIVEN a closed account the customer has since reopened WHEN they confirm it THEN the provider
    pays the same refund number, once."""
    oid, rid = _stuck(sim, channel)
    sim.set_account(f"pay-{oid}", closed=False)
    fix_refund.fix("c1", oid, rid, Fix.CONFIRM_ACCOUNT, later(10))
    a = worker.process(rid, later(11))
    if a.result == "processing":  # the acquirer settles later: its answer comes on the next look
        r = _get(rid)
        assert r.lease_until is not None
        SIM_CLOCK.t = r.lease_until
        a = worker.process(rid, r.lease_until)
    assert a.result == "succeeded", a
    assert _payouts(sim, rid) == 1 and _get(rid).channel is Channel(channel)


def test_a_new_wechat_card_is_paid_once_and_not_kept(sim: SimAdmin) -> None:
    """GIVEN a WeChat refund that came back ABNORMAL WHEN its customer gives a new debit card THEN
    the worker sends 发起异常退款 with that card, the refund settles, paid once, and the card is no
    longer stored; the refund record itself never held it."""
    oid, rid = _stuck(sim, "wechat_pay")
    r = fix_refund.fix("c1", oid, rid, Fix.NEW_CARD, later(10), card=CARD)
    assert "6222" not in repr(r) and "6222" not in repr(CARD)
    assert cards.get(rid) == CARD
    assert worker.process(rid, later(11)).result == "processing"
    assert sim.refunds()["refunds"][rid.replace("_", "")]["new_card"] == "ICBC_DEBIT:5678"
    assert cards.get(rid) is None
    (done,) = deliver(sim, later(12))
    assert done[0].status is S.SUCCEEDED
    assert _payouts(sim, rid) == 1


def test_a_fix_not_offered_or_not_yours_changes_nothing(sim: SimAdmin) -> None:
    """GIVEN stuck refunds WHEN a fix its provider cannot do is asked (confirm a WeChat account, a
    new card for Alipay), or the refund is not stuck, or it is another customer's THEN the answer
    says so (what is offered; not found) and the refund is as it was."""
    oid, rid = _stuck(sim, "wechat_pay")
    before = _get(rid)
    with pytest.raises(DomainError) as e:
        fix_refund.fix("c1", oid, rid, Fix.CONFIRM_ACCOUNT, later(10))
    assert e.value.code == "REFUND_FIX_NOT_OFFERED"
    assert e.value.details["offered"] == ["new_card", "to_balance"]
    with pytest.raises(DomainError) as e:
        fix_refund.fix("c2", oid, rid, Fix.TO_BALANCE, later(10))
    assert e.value.code == "ORDER_NOT_FOUND"
    a_oid, a_rid = _stuck(sim, "alipay")
    with pytest.raises(DomainError) as e:
        fix_refund.fix("c1", a_oid, a_rid, Fix.NEW_CARD, later(10), card=CARD)
    assert e.value.code == "REFUND_FIX_NOT_OFFERED"
    with pytest.raises(DomainError) as e:  # the refund of another order of the same customer
        fix_refund.fix("c1", oid, a_rid, Fix.TO_BALANCE, later(10))
    assert e.value.code == "REFUND_NOT_FOUND"
    assert _get(rid) == before and cards.get(a_rid) is None
    paid = owe_refund(paid_order("c1", 3000, "alipay"), 3000)
    with pytest.raises(DomainError) as e:  # pending: nothing to fix
        fix_refund.fix("c1", _get(paid).order_id, paid, Fix.TO_BALANCE, later(10))
    assert e.value.code == "REFUND_FIX_NOT_OFFERED" and e.value.details["offered"] == []


def test_the_customers_switch_and_supports_retry_at_once_pay_once(sim: SimAdmin) -> None:
    """GIVEN stuck Alipay refunds whose accounts were reopened WHEN, for each, the customer's switch
    to balance and support's retry run at the same instant (threads) THEN exactly one of the two
    is accepted, the other refused from what is stored; and the money moves once: either the
    provider paid or the ledger credited, never both."""
    stuck = [_stuck(sim, "alipay", customer=f"c{i}") for i in range(6)]
    for oid, _ in stuck:
        sim.set_account(f"pay-{oid}", closed=False)
    pairs = [
        (
            lambda i=i, oid=oid, rid=rid: fix_refund.fix(f"c{i}", oid, rid, Fix.TO_BALANCE, later(10)),
            lambda rid=rid: support.retry(rid, "support-1", later(10)),
        )
        for i, (oid, rid) in enumerate(stuck)
    ]
    for (a, b), (_, rid) in zip(race(pairs), stuck, strict=True):
        won = [x for x in (a, b) if isinstance(x, Refund)]
        lost = [x for x in (a, b) if isinstance(x, DomainError)]
        assert len(won) == 1 and len(lost) == 1, (a, b)
        assert lost[0].code in ("CONFLICT", "REFUND_NOT_RETRYABLE", "REFUND_FIX_NOT_OFFERED"), lost[0]
        assert worker.process(rid, later(11)).result == "succeeded"
    for i, (_, rid) in enumerate(stuck):
        credited = ledger.balance(f"c{i}")
        assert (_payouts(sim, rid), credited) in ((1, 0), (0, 5000)), (rid, credited)


def test_an_overdue_refund_is_chased_once_per_period_and_support_sees_it(sim: SimAdmin) -> None:
    """GIVEN a refund WHEN its customer chases it before it is overdue THEN that is refused;
    once overdue, a chase is recorded (timeline entry, alert event) and the refund is in support's
    chased list; a second chase within the period is refused with when it may be chased again,
    two at once count once, and after the period it may be chased again."""
    sim.config(error_5xx=1.0)
    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    worker.process(rid, later(1))
    with pytest.raises(DomainError) as e:
        chase_refund.chase("c1", oid, rid, later(2))
    assert e.value.code == "REFUND_CHASE_NOT_ALLOWED" and e.value.details["overdue"] is False
    r = _get(rid)
    t = r.sla_due_at + timedelta(minutes=1)
    assert refunds.flag_overdue(r, t)
    chased = chase_refund.chase("c1", oid, rid, t)
    assert chased.chases == 1 and chased.chased_at == t
    listed, _ = support.list_refunds(None, False, None, 100, "support-1", chased=True)
    assert [x.refund_id for x in listed] == [rid]
    with pytest.raises(DomainError) as e:
        chase_refund.chase("c1", oid, rid, t + timedelta(hours=1))
    assert e.value.details["chase_from"] == t + timedelta(hours=24)
    at = t + timedelta(hours=24)
    both = (lambda: chase_refund.chase("c1", oid, rid, at), lambda: chase_refund.chase("c1", oid, rid, at))
    results = race([both])
    assert sorted(type(x).__name__ for x in results[0]) == ["DomainError", "Refund"]
    assert _get(rid).chases == 2
    entries = [h for h in history.timeline(oid) if h.event == "refund.chased"]
    assert [(h.actor, h.detail["chases"]) for h in entries] == [("customer", 1), ("customer", 2)]
    # a chase changes neither status nor version: a worker holding the refund is not disturbed
    assert (_get(rid).status, _get(rid).version) == (r.status, r.version)
