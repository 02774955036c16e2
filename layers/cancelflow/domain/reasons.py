"""Reason codes, which of them fit an order's state, and the rule for ``other``
(docs/domain.md, "Reasons"). Which reasons earn priority: ``domain/priority.py``."""

from __future__ import annotations

from enum import StrEnum

from cancelflow.domain.states import VALUE_MOVED, OrderStatus
from cancelflow.errors import DomainError, ErrorCode

MIN_OTHER_DESCRIPTION = 10
MAX_DESCRIPTION = 1000


class Reason(StrEnum):
    # customer reasons
    WRONG_INFO = "wrong_info"
    DUPLICATE_ORDER = "duplicate_order"
    CHANGED_MIND = "changed_mind"
    PRICE_ISSUE = "price_issue"
    PAYMENT_ISSUE = "payment_issue"
    OTHER = "other"
    # platform-fault reasons
    WRONG_ITEM = "wrong_item"
    DUPLICATE_DELIVERY = "duplicate_delivery"
    INVALID_KEY = "invalid_key"
    DESCRIPTION_MISMATCH = "description_mismatch"
    STOCK_ERROR = "stock_error"
    PROHIBITED_GOODS = "prohibited_goods"


CUSTOMER_REASONS = (
    Reason.WRONG_INFO,
    Reason.DUPLICATE_ORDER,
    Reason.CHANGED_MIND,
    Reason.PRICE_ISSUE,
    Reason.PAYMENT_ISSUE,
    Reason.OTHER,
)
PLATFORM_FAULT_REASONS = (
    Reason.WRONG_ITEM,
    Reason.DUPLICATE_DELIVERY,
    Reason.INVALID_KEY,
    Reason.DESCRIPTION_MISMATCH,
    Reason.STOCK_ERROR,
    Reason.PROHIBITED_GOODS,
)

LABELS: dict[Reason, tuple[str, str]] = {
    Reason.WRONG_INFO: ("商品信息填写错误", "Wrong details entered (phone number, game account)"),
    Reason.DUPLICATE_ORDER: ("重复下单", "Duplicate order"),
    Reason.CHANGED_MIND: ("不需要了", "No longer needed"),
    Reason.PRICE_ISSUE: ("价格问题", "Price issue"),
    Reason.PAYMENT_ISSUE: ("支付遇到问题", "Payment problem"),
    Reason.OTHER: ("其他", "Other"),
    Reason.WRONG_ITEM: ("错发商品", "Wrong item delivered"),
    Reason.DUPLICATE_DELIVERY: ("重复发货", "Delivered twice"),
    Reason.INVALID_KEY: ("卡密无效", "Key does not work"),
    Reason.DESCRIPTION_MISMATCH: ("商品描述不符", "Not as described"),
    Reason.STOCK_ERROR: ("库存错误", "Stock error"),
    Reason.PROHIBITED_GOODS: ("违规商品", "Prohibited goods"),
}

# What the client should tell the customer a good description contains (vague text lowers
# the chance of approval).
DESCRIPTION_HINT = (
    "说明发生了什么、何时发生、涉及的账号或号码,以及希望的处理方式",
    "Say what happened, when, which account or number is involved, and what you would like done",
)


# Platform faults about what was delivered: only an order whose value moved can have them
# (nothing was delivered, so nothing was delivered twice). A stock error or prohibited goods
# may be found before delivery.
DELIVERY_FAULT_REASONS = frozenset(
    {Reason.WRONG_ITEM, Reason.DUPLICATE_DELIVERY, Reason.INVALID_KEY, Reason.DESCRIPTION_MISMATCH}
)


def is_platform_fault(reason: Reason) -> bool:
    return reason in PLATFORM_FAULT_REASONS


def fitting(reasons: tuple[Reason, ...], status: OrderStatus) -> tuple[Reason, ...]:
    """The reasons that fit an order in ``status``: what the options list and a POST accepts."""
    return tuple(r for r in reasons if status in VALUE_MOVED or r not in DELIVERY_FAULT_REASONS)


def check_description(reason: Reason, description: str | None) -> None:
    """``other`` needs a real description; nothing may be longer than the limit."""
    text = (description or "").strip()
    if reason is Reason.OTHER and len(text) < MIN_OTHER_DESCRIPTION:
        raise DomainError(
            ErrorCode.DESCRIPTION_REQUIRED, {"field": "description", "min_length": MIN_OTHER_DESCRIPTION}
        )
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, {"field": "description", "max_length": MAX_DESCRIPTION}
        )
