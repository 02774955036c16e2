"""The after-sales window (docs/domain.md, "After-sales window").

An order counts as completed at its completion, or, once delivered, at the end of its product
type's confirmation window (``confirmation_window_hours`` after delivery), even before the
completion sweep has run. From then on, for ``after_sales_days``, the customer may ask for an
after-sales refund (full or partial, reviewed); before it the way is an appeal
(``domain/appeals.py``), after it nothing. Nothing already refunded is refunded again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import ErrorCode


def confirmation_ends(order: Order, policy: CancellationPolicy) -> datetime | None:
    """The end of the confirmation window after delivery (the last moment to appeal the goods,
    and when a delivered order counts as completed); ``None`` until delivered."""
    if order.confirmation_ends_at is not None:
        return order.confirmation_ends_at  # fixed at delivery: what reads and the sweep use
    if order.delivered_at is None:
        return None
    return order.delivered_at + policy.confirmation_window


def confirmed_at(order: Order, policy: CancellationPolicy) -> datetime | None:
    """When the order is (or counts as) completed: its completion, or else the end of the
    confirmation window after delivery, even before the completion sweep has run (as an
    unpaid order counts as expired at its deadline)."""
    if order.completed_at is not None:
        return order.completed_at
    if order.status is OrderStatus.DELIVERED:
        return confirmation_ends(order, policy)
    return None


def deadline(order: Order, policy: CancellationPolicy) -> datetime | None:
    """The end of the after-sales window; ``None`` until the order counts as completed."""
    confirmed = confirmed_at(order, policy)
    return None if confirmed is None else confirmed + timedelta(days=policy.after_sales_days)


def not_allowed_code(order: Order, now: datetime, policy: CancellationPolicy) -> ErrorCode | None:
    """Why an after-sales request is refused now; ``None``: allowed. Only for a paid order that
    is not cancelled nor held (``domain/options.py`` decides those first)."""
    confirmed = confirmed_at(order, policy)
    if confirmed is None or now < confirmed:
        return ErrorCode.NOT_COMPLETED
    if now > confirmed + timedelta(days=policy.after_sales_days):
        return ErrorCode.AFTER_SALES_WINDOW_CLOSED
    return None if order.refundable > 0 else ErrorCode.NOTHING_TO_REFUND
