"""Support's refund tools (docs/domain.md, "Support's tools"): a manual refund paid outside the
system, new or closing an open refund, exactly once per reference; a switch to balance with the
customer's recorded consent. With the provider simulator; the invariant checker after each."""

from __future__ import annotations

import pytest
from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError
from cancelflow.refunds import lifecycle, manual, support, worker
from cancelflow.refunds.model import RefundStatus
from cancelflow.store import history, ledger, orders
from cancelflow.store.refunds import Manual, Refund

from local import invariants
from tests.integration.lifecycle_world import race, scan_all
from tests.refunds.conftest import SIM_CLOCK, SimAdmin, deliver, later, owe_refund, paid_order

S = RefundStatus


def check_invariants(items: list[dict[str, object]]) -> None:
    """The money invariants (the fixture's paid orders are written without their history, so
    the history invariant is not this suite's to check: the e2e journeys check all of them)."""
    found = invariants.check(items)  # type: ignore[arg-type]
    money = {k: v for k, v in found.items() if k.startswith("refunded") and v}
    assert not money, money
    assert any(k.startswith("refunded") for k in found)


def _manual(ref: str, channel: Channel = Channel.BANK_CARD) -> Manual:
    return Manual(channel=channel, reference=ref, note="转账到顾客银行卡,客服工单 T-1")


def _get(rid: str) -> Refund:
    r = lifecycle.get_refund(rid)
    assert r is not None
    return r


def _refunded(order_id: str) -> int:
    o = orders.require_order(order_id)
    return o.refunded_amount


def test_a_new_manual_refund_counts_once_per_reference(sim: SimAdmin) -> None:
    """GIVEN a paid order WHEN support records a refund paid outside THEN it is a succeeded refund
    counted against what is left (never sent to a provider); recording the same reference again
    is a replay that changes nothing; the same reference with another amount is refused; more
    than is left is refused with the most allowed."""
    oid = paid_order("c1", 5000, "alipay")
    done = manual.record(
        oid, amount=2000, manual=_manual("BT-001"), replaces=None, actor_id="sup-1", now=later(1)
    )
    [r] = done.refunds
    assert (
        not done.replayed and r.status is S.SUCCEEDED and r.amount == 2000 and r.channel is Channel.BANK_CARD
    )
    assert (r.provider_status, r.provider_ref) == ("manual", "BT-001") and _refunded(oid) == 2000
    before = sorted(str(i) for i in scan_all())
    again = manual.record(
        oid, amount=2000, manual=_manual("BT-001"), replaces=None, actor_id="sup-2", now=later(2)
    )
    assert again.replayed and [x.refund_id for x in again.refunds] == [r.refund_id]
    assert sorted(str(i) for i in scan_all()) == before
    with pytest.raises(DomainError) as e:
        manual.record(
            oid, amount=2500, manual=_manual("BT-001"), replaces=None, actor_id="sup-1", now=later(3)
        )
    assert e.value.code == "MANUAL_REFUND_REFUSED" and e.value.details["why"] == "reference_used"
    with pytest.raises(DomainError) as e:
        manual.record(
            oid, amount=3001, manual=_manual("BT-002"), replaces=None, actor_id="sup-1", now=later(3)
        )
    assert e.value.code in ("NOTHING_TO_REFUND", "AMOUNT_INVALID")
    assert worker.process(r.refund_id, later(4)).result.startswith("skipped")
    assert sim.payouts()["payouts"] == []
    [entry] = [h for h in history.timeline(oid) if h.event == "refund.manual_recorded"]
    assert (entry.actor, entry.actor_id, entry.detail["reference"]) == ("support", "sup-1", "BT-001")
    check_invariants(scan_all())


def test_a_manual_refund_closes_the_open_refund_it_replaces(sim: SimAdmin) -> None:
    """GIVEN a refund waiting for the customer (closed account) WHEN support pays it outside and
    records it as replacing that refund THEN the refund succeeds (manual, with the reference), the
    order's refunded amount is unchanged (counted once), the provider paid nothing; a replay is
    one; another amount is refused."""
    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    sim.set_account(f"pay-{oid}", closed=True)
    assert worker.process(rid, later(1)).result == "needs_customer_action"
    with pytest.raises(DomainError) as e:
        manual.record(oid, amount=4000, manual=_manual("BT-9"), replaces=rid, actor_id="sup-1", now=later(5))
    assert e.value.code == "AMOUNT_INVALID" and e.value.details["amount"] == 5000
    done = manual.record(
        oid, amount=5000, manual=_manual("BT-9"), replaces=rid, actor_id="sup-1", now=later(5)
    )
    [r] = done.refunds
    assert r.refund_id == rid and r.status is S.SUCCEEDED and r.provider_ref == "BT-9"
    assert _refunded(oid) == 5000 and sim.payouts()["payouts"] == []
    assert manual.record(
        oid, amount=5000, manual=_manual("BT-9"), replaces=rid, actor_id="s", now=later(6)
    ).replayed
    check_invariants(scan_all())


def test_an_open_refund_the_provider_may_have_paid_is_not_closed(sim: SimAdmin) -> None:
    """GIVEN a refund the provider took (its answer lost, its query failing) WHEN support tries to
    close it with a manual refund THEN that is refused while the provider cannot say, and still
    refused once the provider says it paid: the money never moves twice. A refund in progress is
    refused too."""
    oid = paid_order("c1", 5000, "alipay")
    rid = owe_refund(oid, 5000)
    sim.config(unknown_result=1.0, query_error=1.0)
    assert worker.process(rid, later(1)).result == "failed"
    for query_error in (1.0, 0.0):
        sim.config(unknown_result=0.0, query_error=query_error)
        with pytest.raises(DomainError) as e:
            manual.record(oid, amount=5000, manual=_manual("BT-5"), replaces=rid, actor_id="s", now=later(2))
        assert e.value.code == "MANUAL_REFUND_REFUSED" and e.value.details["why"] == "provider_has_it", (
            e.value
        )
    assert _get(rid).status is S.FAILED
    pending = owe_refund(paid_order("c2", 3000, "alipay"), 3000)
    with pytest.raises(DomainError) as e:
        manual.record(
            _get(pending).order_id,
            amount=3000,
            manual=_manual("X"),
            replaces=pending,
            actor_id="s",
            now=later(2),
        )
    assert e.value.details["why"] == "refund_in_progress"


def test_two_manual_refunds_for_the_last_refundable_amount_one_is_accepted(sim: SimAdmin) -> None:
    """GIVEN orders with 3000 left to refund WHEN two manual refunds of 3000 (different references)
    are recorded for each at the same instant THEN one is accepted and the other refused, and the
    order's books hold: refunded never more than paid."""
    made = [paid_order(f"c{i}", 3000, "wechat_pay") for i in range(5)]
    pairs = [
        (
            lambda oid=oid: manual.record(
                oid, amount=3000, manual=_manual(f"{oid}-a"), replaces=None, actor_id="a", now=later(1)
            ),
            lambda oid=oid: manual.record(
                oid, amount=3000, manual=_manual(f"{oid}-b"), replaces=None, actor_id="b", now=later(1)
            ),
        )
        for oid in made
    ]
    for (a, b), oid in zip(race(pairs), made, strict=True):
        ok = [x for x in (a, b) if isinstance(x, manual.Recorded)]
        refused = [x for x in (a, b) if isinstance(x, DomainError)]
        assert len(ok) == 1 and len(refused) == 1, (a, b)
        assert refused[0].code in ("CONFLICT", "NOTHING_TO_REFUND"), refused[0]
        assert _refunded(oid) == 3000
    check_invariants(scan_all())


def test_support_switches_a_stuck_refund_to_balance_with_the_customers_consent(sim: SimAdmin) -> None:
    """GIVEN a WeChat refund its card could not receive WHEN support switches it to balance with
    the consent recorded THEN the ledger credits it once, the provider is not asked again, and
    the timeline names support and where the consent is; a refund not waiting for the customer
    cannot be switched."""
    oid = paid_order("c1", 4000, "wechat_pay")
    rid = owe_refund(oid, 4000)
    sim.set_account(f"pay-{oid}", closed=True)
    worker.process(rid, later(1))
    deliver(sim, later(2))
    assert _get(rid).status is S.NEEDS_CUSTOMER_ACTION
    r = support.switch_to_balance(rid, "sup-1", "T-2048", "顾客电话同意改退余额", later(3))
    assert r.channel is Channel.BALANCE and r.switched_from is Channel.WECHAT_PAY
    SIM_CLOCK.t = later(4)
    assert worker.process(rid, later(4)).result == "succeeded"
    assert ledger.balance("c1") == 4000 and sim.payouts()["payouts"] == []
    [entry] = [h for h in history.timeline(oid) if h.event == "refund.destination_fixed"]
    assert (entry.actor, entry.detail["consent"]) == ("support", "T-2048")
    with pytest.raises(DomainError) as e:
        support.switch_to_balance(rid, "sup-1", "T-2049", "again", later(5))
    assert e.value.code == "REFUND_FIX_NOT_OFFERED"
    check_invariants(scan_all())
