"""Auto-approval (docs/domain.md, "Auto-approval").

A cancellation request is approved without review (the order cancelled and a full refund
started at once) when all of these hold at the moment it is asked: the order is paid (not yet
delivering), it is inside its product type's window after payment (``auto_approve_minutes``
after ``paid_at``), fulfilment has not locked its stock, and the customer is not high-risk
(``domain/risk.py``). Otherwise the request goes to review. No other action is ever
auto-approved.

What the write re-checks (``store.orders.cancel_auto_approved``): a request is decided at one
moment ``now`` and ``paid_at`` does not change once paid, so the window needs no second check.
What another writer may change between the read and the write is the order itself (fulfilment
locking the stock, another request holding it): the write's conditions on the order cover that.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.states import OrderStatus


def window_end(order: Order, policy: CancellationPolicy) -> datetime | None:
    """Until when a request on this order is approved without review (if the rest holds)."""
    return None if order.paid_at is None else order.paid_at + policy.auto_approve_window


def auto_approvable(order: Order, now: datetime, policy: CancellationPolicy, high_risk: bool) -> bool:
    """Paid, inside the window after payment, stock not locked, customer not high-risk."""
    end = window_end(order, policy)
    return (
        order.status is OrderStatus.PAID
        and end is not None
        and now < end
        and not order.stock_locked
        and not high_risk
    )
