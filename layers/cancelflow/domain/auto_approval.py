"""Auto-approval (docs/domain.md, "Auto-approval").

A cancellation request is approved without review (the order cancelled and a full refund
started at once) when all of these hold at the moment it is asked: the order is paid (not yet
delivering), it is inside its product type's window after payment (``auto_approve_minutes``
after ``paid_at``), fulfilment has not locked its stock, its amount is within the type's
ceiling (``auto_approve_max_amount``), the customer's account is old enough
(``auto_approve_min_account_days``; an age the platform did not send as the policy says), the
customer is not high-risk (``domain/risk.py``), and the refund goes back where the money came
from (``refund_to_allowed``). Otherwise the request goes to review. No other action is ever
auto-approved.

What the write re-checks (``store.orders.cancel_auto_approved``): a request is decided at one
moment ``now`` and ``paid_at`` does not change once paid, so the window needs no second check.
What another writer may change between the read and the write is the order itself (fulfilment
locking the stock, another request holding it): the write's conditions on the order cover that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import OrderStatus


def window_end(order: Order, policy: CancellationPolicy) -> datetime | None:
    """Until when a request on this order is approved without review (if the rest holds)."""
    return None if order.paid_at is None else order.paid_at + policy.auto_approve_window


def within_ceiling(order: Order, policy: CancellationPolicy) -> bool:
    """The order's amount is no more than its type's auto-approval ceiling (fen)."""
    return order.amount <= policy.auto_approve_max_amount


def account_old_enough(order: Order, now: datetime, policy: CancellationPolicy) -> bool:
    """The customer's account (as the platform sent it with the order) is at least the minimum
    age at ``now``. Unknown: as the policy says (``unknown_account_age_is_new``)."""
    if order.customer_since is None:
        return not policy.unknown_account_age_is_new
    return now - order.customer_since >= timedelta(days=policy.auto_approve_min_account_days)


def refund_to_allowed(refund_to: RefundTo) -> bool:
    """Only to the original channel. A refund to balance without a reviewer would let a stolen
    payment be cancelled at once into spendable balance (laundered); balance stays a remedy a
    reviewer grants, so a request asking for it is reviewed."""
    return refund_to is RefundTo.ORIGINAL


def auto_approvable(order: Order, now: datetime, policy: CancellationPolicy, high_risk: bool) -> bool:
    """Paid, inside the window after payment, stock not locked, within the amount ceiling, the
    account old enough, customer not high-risk (the refund channel: ``refund_to_allowed``)."""
    end = window_end(order, policy)
    return (
        order.status is OrderStatus.PAID
        and end is not None
        and now < end
        and not order.stock_locked
        and within_ceiling(order, policy)
        and account_old_enough(order, now, policy)
        and not high_risk
    )
