"""A customer's own orders, newest first, a page at a time.

The cursor is the index position DynamoDB returned; it is checked to point into the caller's
own partition, so a forged cursor can neither read another customer's orders nor crash.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from cancelflow.errors import DomainError
from cancelflow.store import keys, orders
from cancelflow.usecases.views import OrderOut, OrdersPage

_CURSOR_KEYS = {"pk", "sk", "gsi_cust_pk", "gsi_cust_sk"}


def _check_cursor(cursor: str, customer_id: str) -> None:
    try:
        start = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        start = None
    ok = (
        isinstance(start, dict)
        and set(start) == _CURSOR_KEYS
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in start.values())
        and start["gsi_cust_pk"]["S"] == keys.customer_pk(customer_id)
    )
    if not ok:
        raise DomainError("VALIDATION_FAILED", {"field": "query.cursor"})


def list_orders(customer_id: str, limit: int, cursor: str | None, now: datetime) -> OrdersPage:
    if cursor:
        _check_cursor(cursor, customer_id)
    found, nxt = orders.list_customer_orders(customer_id, limit, cursor)
    return OrdersPage(items=[OrderOut.of(o, now) for o in found], next_cursor=nxt)
