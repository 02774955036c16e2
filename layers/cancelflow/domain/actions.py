"""The five things a customer may ask of an order (docs/domain.md, "Cancellation paths").

Their own module because every rule module names them: eligibility (``domain/options.py``),
appeals (``domain/appeals.py``) and the after-sales window (``domain/after_sales.py``).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    SELF_CANCEL = "self_cancel"
    REQUEST = "request"
    STOP_DELIVERY = "stop_delivery"
    APPEAL = "appeal"
    AFTER_SALES = "after_sales"


# Remedies for goods whose value moved: refunds only, and they may be partial.
PARTIAL_REFUND_ACTIONS = frozenset({Action.APPEAL, Action.AFTER_SALES})
