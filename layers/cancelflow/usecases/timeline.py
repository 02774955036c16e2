"""An order's timeline for its customer: every history entry (requests, review steps, refund
steps) in time order, and the current state of its refunds."""

from __future__ import annotations

from datetime import datetime

from cancelflow.usecases import order_partition
from cancelflow.usecases.views import Timeline, TimelineEntry


def timeline(customer_id: str, order_id: str, now: datetime) -> Timeline:
    order, history, _ = order_partition.read(order_id, customer_id)
    return Timeline(
        order_id=order_id,
        status=order.effective_status(now),
        # who exactly (a reviewer's id) is internal; the role and what happened are not
        entries=[TimelineEntry.model_validate(h) for h in history],
        refunds=order_partition.refunds(history),
    )
