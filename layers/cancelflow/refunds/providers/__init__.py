"""Refund providers, one per channel, behind one interface (``base.Provider``)."""

from __future__ import annotations

from functools import cache

from cancelflow.domain.products import Channel
from cancelflow.refunds.providers.base import Provider


@cache
def for_channel(channel: Channel) -> Provider:
    # Imported here: a worker loads only the clients it uses.
    if channel is Channel.ALIPAY:
        from cancelflow.refunds.providers.alipay import Alipay

        return Alipay()
    if channel is Channel.WECHAT_PAY:
        from cancelflow.refunds.providers.wechat_pay import WechatPay

        return WechatPay()
    if channel is Channel.BANK_CARD:
        from cancelflow.refunds.providers.bank_card import BankCard

        return BankCard()
    from cancelflow.refunds.providers.balance import Balance

    return Balance()
