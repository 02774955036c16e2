"""Cooling-off (docs/domain.md, "Cooling-off"): the least time between payment and the start of
delivery, per product type (``CancellationPolicy.cooling_off``; by default the auto-approval
window). While it runs fulfilment may not start the order, so a request the customer makes
inside the auto-approval window always finds the order still ``paid``, stock unlocked: the
self-service cancellation the options promise is really there.

What the write re-checks (``store.orders.start_delivery``): ``paid_at`` is set once, when the
payment is applied, so the write's condition on the stored ``paid_at`` decides it against what
is stored (a start whose read raced the payment cannot slip through).
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy


def delivery_allowed_at(order: Order, policy: CancellationPolicy) -> datetime | None:
    """When fulfilment may start the order: its payment plus the cooling-off; None unpaid."""
    return None if order.paid_at is None else order.paid_at + policy.cooling_off


def cooling_off_until(order: Order, now: datetime, policy: CancellationPolicy) -> datetime | None:
    """The end of the cooling-off while it still runs at ``now``; None once it is over."""
    if not policy.cooling_off:
        return None  # 0: no cooling-off at all (whatever the clocks of payment and fulfilment)
    allowed = delivery_allowed_at(order, policy)
    return allowed if allowed is not None and now < allowed else None
