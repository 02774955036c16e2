"""Hardening (issue 13, item 6): a payment id is recorded once with its order, amount and
channel; the same id again with any of them different is a conflict, never a "replay"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError
from cancelflow.store import ddb, history, keys, orders, payments

from tests.conftest import NOW

T1 = NOW + timedelta(minutes=1)


def _stored(order_id: str, payment_id: str) -> tuple[Any, ...]:
    return (
        ddb.get(keys.payment_pk(payment_id), "PAYMENT"),
        ddb.get(keys.order_pk(order_id), keys.ORDER),
        len(history.timeline(order_id)),
    )


@pytest.mark.parametrize(
    ("amount_delta", "channel", "differs"),
    [
        (1, Channel.ALIPAY, {"amount"}),
        (0, Channel.WECHAT_PAY, {"channel"}),
        (-1, Channel.BANK_CARD, {"amount", "channel"}),
    ],
)
def test_replayed_payment_id_with_another_amount_or_channel_is_a_conflict(
    catalog: dict[str, str], amount_delta: int, channel: Channel, differs: set[str]
) -> None:
    """GIVEN a payment recorded for an order (its amount, by Alipay)
    WHEN the same payment id arrives again with another amount and/or channel
    THEN PAYMENT_CONFLICT (409) with the stored and the sent values, and nothing is written."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(o.order_id, "pay-1", o.amount, Channel.ALIPAY, T1)
    before = _stored(o.order_id, "pay-1")
    with pytest.raises(DomainError) as e:
        payments.confirm_payment(o.order_id, "pay-1", o.amount + amount_delta, channel, T1)
    assert e.value.code == "PAYMENT_CONFLICT" and e.value.status == 409
    stored = {"order_id": o.order_id, "amount": o.amount, "channel": "alipay"}
    sent = {"order_id": o.order_id, "amount": o.amount + amount_delta, "channel": channel.value}
    assert e.value.details == {"payment_id": "pay-1", "stored": stored, "sent": sent}
    assert {k for k in stored if stored[k] != sent[k]} == differs
    assert _stored(o.order_id, "pay-1") == before


def test_replayed_payment_id_for_another_order_is_a_conflict_naming_both(catalog: dict[str, str]) -> None:
    """GIVEN a payment recorded for one order WHEN its id arrives for another order
    THEN PAYMENT_CONFLICT with both orders in the details, and the other order is not paid."""
    a = orders.create_order("c1", catalog["game_card"], 1, NOW)
    b = orders.create_order("c1", catalog["game_card"], 1, NOW)
    payments.confirm_payment(a.order_id, "pay-2", a.amount, Channel.ALIPAY, T1)
    with pytest.raises(DomainError) as e:
        payments.confirm_payment(b.order_id, "pay-2", b.amount, Channel.ALIPAY, T1)
    assert e.value.code == "PAYMENT_CONFLICT"
    assert e.value.details["stored"]["order_id"] == a.order_id
    assert e.value.details["sent"]["order_id"] == b.order_id
    assert orders.require_order(b.order_id).status.value == "pending_payment"


def test_exact_replay_is_still_answered_as_replayed(catalog: dict[str, str]) -> None:
    """GIVEN a recorded payment WHEN exactly the same notification arrives again
    THEN it is a replay: the first outcome, nothing written twice."""
    o = orders.create_order("c1", catalog["game_card"], 1, NOW)
    first = payments.confirm_payment(o.order_id, "pay-3", o.amount, Channel.ALIPAY, T1)
    before = _stored(o.order_id, "pay-3")
    again = payments.confirm_payment(o.order_id, "pay-3", o.amount, Channel.ALIPAY, T1 + timedelta(seconds=5))
    assert (first.replayed, again.replayed, again.applied) == (False, True, True)
    assert _stored(o.order_id, "pay-3") == before
