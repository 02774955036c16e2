"""The order service creates an order and reserves its stock (all or nothing)."""

from __future__ import annotations

from datetime import datetime

from cancelflow.cancel.views import PlatformOrderOut
from cancelflow.store import orders


def place(
    customer_id: str,
    product_id: str,
    quantity: int,
    target: str | None,
    order_id: str | None,
    now: datetime,
    customer_since: datetime | None = None,
) -> PlatformOrderOut:
    order = orders.create_order(
        customer_id,
        product_id,
        quantity,
        now,
        target=target,
        order_id=order_id,
        customer_since=customer_since,
    )
    return PlatformOrderOut.of(order, now)
