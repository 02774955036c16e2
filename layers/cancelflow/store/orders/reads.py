"""Reading orders: one order by id, and a customer's orders a page at a time."""

from __future__ import annotations

import msgspec

from cancelflow.domain.after_sales import confirmation_ends
from cancelflow.domain.models import Order
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, keys
from cancelflow.store.schema import GSI_CUSTOMER


def of_item(item: ddb.Item) -> Order:
    order = codec.decode(Order, item)
    if order.delivered_at is not None and order.confirmation_ends_at is None:
        # delivered before the window's end was stored with it: the policy's window, as the
        # options computed it then (docs/domain.md, "Order states", completion)
        policy = get_settings().policies.for_order(order)
        order = msgspec.structs.replace(order, confirmation_ends_at=confirmation_ends(order, policy))
    return order


def get_order(order_id: str) -> Order | None:
    """The order as stored (a consistent read), or None."""
    item = ddb.get(keys.order_pk(order_id), keys.ORDER)
    return of_item(item) if item else None


def require_order(order_id: str, customer_id: str | None = None) -> Order:
    """The order, or ORDER_NOT_FOUND; another customer's order is "not found" too."""
    order = get_order(order_id)
    if order is None or (customer_id is not None and order.customer_id != customer_id):
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, {"order_id": order_id})
    return order


def customer_scope(customer_id: str) -> codec.CursorScope:
    """What a customer's order cursors are valid for: their own partition of the by-customer
    index, so a forged cursor can neither read another customer's orders nor crash."""
    return codec.CursorScope("orders", customer_id, GSI_CUSTOMER, (keys.customer_pk(customer_id),))


def list_customer_orders(customer_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
    """Newest first, from ``cursor`` (checked by ``codec.decode_cursor``: VALIDATION_FAILED if it
    is not one of this list's); the cursor of the next page, or None on the last."""
    scope = customer_scope(customer_id)
    items, last = ddb.query(
        GSI_CUSTOMER,
        "gsi_cust_pk = :c",
        {":c": keys.customer_pk(customer_id)},
        limit=limit,
        forward=False,
        start=codec.decode_cursor(scope, cursor).start,
    )
    return [of_item(i) for i in items], codec.encode_cursor(scope, last) if last else None


def require_in(order_id: str, status: OrderStatus) -> Order:
    """The stored order, which must be in ``status``: otherwise CONFLICT with the status found."""
    order = require_order(order_id)
    if order.status is not status:
        raise DomainError(ErrorCode.CONFLICT, {"status": order.status.value})
    return order
