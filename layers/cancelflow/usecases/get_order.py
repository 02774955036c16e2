"""One order for its customer, with a cancellation summary: its requests and refunds."""

from __future__ import annotations

from datetime import datetime

from cancelflow.usecases import order_partition
from cancelflow.usecases.views import CancellationSummary, OrderDetail, OrderOut, RequestSummary


def get_order(customer_id: str, order_id: str, now: datetime) -> OrderDetail:
    order, history, reqs = order_partition.read(order_id, customer_id)
    requests = sorted((RequestSummary.of(r) for r in reqs), key=lambda r: r.created_at)
    return OrderDetail(
        order=OrderOut.of(order, now),
        cancellation=CancellationSummary(
            open_request_id=order.open_request_id, requests=requests, refunds=order_partition.refunds(history)
        ),
    )
