"""A customer's own orders, newest first, a page at a time.

The cursor is bound to the customer and may only point into their own partition of the
by-customer index (``orders.customer_scope``, checked by ``codec.decode_cursor``), so a forged
one can neither read another customer's orders nor crash.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.cancel.views import OrderOut, OrdersPage
from cancelflow.store import orders


def list_orders(customer_id: str, limit: int, cursor: str | None, now: datetime) -> OrdersPage:
    found, next_cursor = orders.list_customer_orders(customer_id, limit, cursor)
    return OrdersPage(items=[OrderOut.of(o, now) for o in found], next_cursor=next_cursor)
