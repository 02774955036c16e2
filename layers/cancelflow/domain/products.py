"""Product types and refund channels."""

from __future__ import annotations

from enum import StrEnum


class ProductType(StrEnum):
    GAME_CARD = "game_card"  # 游戏点卡: a key from stock
    MOBILE_TOPUP = "mobile_topup"  # 话费充值: credit pushed upstream, no stock pool
    SOFTWARE_LICENSE = "software_license"  # 软件授权: a key from stock


# Types whose stock is a pool of individual keys (one item per key).
KEYED_TYPES = frozenset({ProductType.GAME_CARD, ProductType.SOFTWARE_LICENSE})


class Channel(StrEnum):
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    BANK_CARD = "bank_card"
    BALANCE = "balance"


class RefundTo(StrEnum):
    ORIGINAL = "original"
    BALANCE = "balance"
