"""A customer's own orders, newest first, a page at a time.

The cursor is bound to the customer and may only point into their own partition of the
by-customer index (``codec.decode_cursor``), so a forged one can neither read another
customer's orders nor crash.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.store import codec, keys, orders
from cancelflow.store.schema import GSI_CUSTOMER
from cancelflow.usecases.views import OrderOut, OrdersPage


def list_orders(customer_id: str, limit: int, cursor: str | None, now: datetime) -> OrdersPage:
    scope = codec.CursorScope("orders", customer_id, GSI_CUSTOMER, (keys.customer_pk(customer_id),))
    found, last = orders.list_customer_orders(customer_id, limit, codec.decode_cursor(scope, cursor).start)
    return OrdersPage(
        items=[OrderOut.of(o, now) for o in found],
        next_cursor=codec.encode_cursor(scope, last) if last else None,
    )
