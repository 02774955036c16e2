"""A customer's own orders, newest first, a page at a time.

The cursor is the index position DynamoDB returned; it is checked to point into the caller's
own partition, so a forged cursor can neither read another customer's orders nor crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.errors import DomainError
from cancelflow.store import codec, keys, orders
from cancelflow.usecases.views import OrderOut, OrdersPage

_CURSOR_KEYS = {"pk", "sk", "gsi_cust_pk", "gsi_cust_sk"}


def _start(cursor: str | None, customer_id: str) -> dict[str, Any] | None:
    """The cursor's position, only if it is a position in this customer's own orders."""
    start = codec.decode_cursor(cursor, "query.cursor")
    ok = start is None or (
        set(start) == _CURSOR_KEYS
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in start.values())
        and start["gsi_cust_pk"]["S"] == keys.customer_pk(customer_id)
    )
    if not ok:
        raise DomainError("VALIDATION_FAILED", {"field": "query.cursor"})
    return start


def list_orders(customer_id: str, limit: int, cursor: str | None, now: datetime) -> OrdersPage:
    found, nxt = orders.list_customer_orders(customer_id, limit, _start(cursor, customer_id))
    return OrdersPage(items=[OrderOut.of(o, now) for o in found], next_cursor=nxt)
