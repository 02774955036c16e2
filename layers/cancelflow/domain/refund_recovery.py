"""What a customer may do about their own stuck refund (docs/domain.md, "Refund recovery").

A refund the destination cannot receive (``needs_customer_action``: the account closed or
changed) waits for its customer. Which ways out exist depends on what the provider supports:
- ``confirm_account``: the account works again (Alipay, the card acquirer: the provider pays the
  same refund number when asked again);
- ``new_card``: a new debit card of the same channel, where the provider can pay one (WeChat
  Pay's 发起异常退款 to the customer's card; Alipay and the acquirer only pay the original account);
- ``to_balance``: the platform balance instead (always possible: our own ledger).
An overdue refund (past its SLA, not succeeded) may be chased (催办): at most once per
``refund_chase_period_hours``, which puts it first for support and alerts them.

The rules only; the use cases are cancelflow.cancel.fix_refund and cancelflow.cancel.chase_refund.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import msgspec

from cancelflow.domain.products import Channel


class Fix(StrEnum):
    CONFIRM_ACCOUNT = "confirm_account"
    NEW_CARD = "new_card"
    TO_BALANCE = "to_balance"


# What each provider can do with a refund its destination refused (refunds/providers: ``resume``).
FIXES: dict[Channel, tuple[Fix, ...]] = {
    Channel.ALIPAY: (Fix.CONFIRM_ACCOUNT, Fix.TO_BALANCE),
    Channel.BANK_CARD: (Fix.CONFIRM_ACCOUNT, Fix.TO_BALANCE),
    Channel.WECHAT_PAY: (Fix.NEW_CARD, Fix.TO_BALANCE),
    Channel.BALANCE: (),  # our own ledger never refuses
}

NEEDS_CUSTOMER = "needs_customer_action"
SUCCEEDED = "succeeded"


class Recovery(msgspec.Struct, frozen=True):
    """The customer's options on one refund now: the fixes they may choose, and whether they may
    chase it (if not yet because of the last chase, from when)."""

    fixes: tuple[Fix, ...]
    may_chase: bool
    chase_from: datetime | None


def fixes(status: str, channel: Channel) -> tuple[Fix, ...]:
    return FIXES[channel] if status == NEEDS_CUSTOMER else ()


class StuckRefund(Protocol):
    """What the rule reads of a refund (cancelflow.store.refunds.Refund is one)."""

    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def overdue(self) -> bool: ...
    @property
    def chased_at(self) -> datetime | None: ...


def recovery(r: StuckRefund, now: datetime, chase_period: timedelta) -> Recovery:
    fix = fixes(r.status, r.channel)
    if not r.overdue or r.status == SUCCEEDED:
        return Recovery(fix, False, None)
    if r.chased_at is not None and now < r.chased_at + chase_period:
        return Recovery(fix, False, r.chased_at + chase_period)
    return Recovery(fix, True, None)
