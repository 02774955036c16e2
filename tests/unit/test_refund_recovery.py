"""The rule of what a customer may do about a stuck refund (domain/refund_recovery.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from cancelflow.domain.products import Channel
from cancelflow.domain.refund_recovery import Fix, recovery

from tests.conftest import NOW

DAY = timedelta(hours=24)


@dataclass(frozen=True)
class R:
    status: str
    channel: Channel
    overdue: bool = False
    chased_at: datetime | None = None


@pytest.mark.parametrize(
    ("channel", "fixes"),
    [
        (Channel.ALIPAY, [Fix.CONFIRM_ACCOUNT, Fix.TO_BALANCE]),
        (Channel.BANK_CARD, [Fix.CONFIRM_ACCOUNT, Fix.TO_BALANCE]),
        (Channel.WECHAT_PAY, [Fix.NEW_CARD, Fix.TO_BALANCE]),
        (Channel.BALANCE, []),
    ],
)
def test_a_refund_waiting_for_its_customer_offers_what_its_provider_can_do(channel, fixes) -> None:
    assert list(recovery(R("needs_customer_action", channel), NOW, DAY).fixes) == fixes
    for other in ("pending", "processing", "failed", "needs_attention", "succeeded"):
        assert recovery(R(other, channel), NOW, DAY).fixes == ()


def test_only_an_overdue_unsucceeded_refund_may_be_chased_once_per_period() -> None:
    assert not recovery(R("failed", Channel.ALIPAY), NOW, DAY).may_chase
    assert not recovery(R("succeeded", Channel.ALIPAY, overdue=True), NOW, DAY).may_chase
    assert recovery(R("failed", Channel.ALIPAY, overdue=True), NOW, DAY).may_chase
    just = recovery(R("failed", Channel.ALIPAY, overdue=True, chased_at=NOW), NOW + DAY / 2, DAY)
    assert not just.may_chase and just.chase_from == NOW + DAY
    again = recovery(R("failed", Channel.ALIPAY, overdue=True, chased_at=NOW), NOW + DAY, DAY)
    assert again.may_chase and again.chase_from is None
