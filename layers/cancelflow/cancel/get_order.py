"""One order for its customer, with a cancellation summary: its requests and refunds."""

from __future__ import annotations

from datetime import datetime

from cancelflow.cancel.views import (
    CancellationSummary,
    OrderDetail,
    OrderOut,
    RequestSummary,
    refunds_named,
)
from cancelflow.store import orders


def get_order(customer_id: str, order_id: str, now: datetime, lang: str) -> OrderDetail:
    """One Query for the order's partition, one BatchGetItem for its refunds."""
    part = orders.read_partition(order_id, customer_id)  # another customer's order: not found
    requests = sorted((RequestSummary.of(r) for r in part.requests), key=lambda r: r.created_at)
    return OrderDetail(
        order=OrderOut.of(part.order, now),
        cancellation=CancellationSummary(
            open_request_id=part.order.open_request_id,
            requests=requests,
            refunds=refunds_named(part.history, now, lang),
        ),
    )
