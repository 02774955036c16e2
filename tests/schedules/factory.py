"""Unpaid orders written fast (BatchWriteItem of prepared items, as create_order would store
them) for sweep tests and the sweep bench; the exact item shape is checked against
create_order in test_expiry.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from cancelflow import aws
from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.policy import policy_version
from cancelflow.domain.products import ProductType
from cancelflow.domain.states import OrderStatus
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys
from cancelflow.store.codec import dump

TIMEOUT = timedelta(minutes=15)


def unpaid_order_item(
    order_id: str, created: datetime, *, product_id: str = "p-mobile_topup"
) -> dict[str, Any]:
    """A top-up order (no stock keys), unpaid, with its expiry index entry."""
    s = get_settings()
    order = Order(
        order_id=order_id,
        customer_id=f"c-{order_id[-3:]}",
        product_id=product_id,
        product_type=ProductType.MOBILE_TOPUP,
        quantity=1,
        amount=5000,
        target="13800000000",
        status=OrderStatus.PENDING_PAYMENT,
        version=1,
        created_at=created,
        payment_deadline=created + TIMEOUT,
        # the current top-up policy, as create_order pins it (no copy needed: it is the current)
        policy_version=policy_version(s.policies.for_type(ProductType.MOBILE_TOPUP)),
    )
    return {
        "pk": keys.order_pk(order_id),
        "sk": keys.ORDER,
        "type": "order",
        **dump(order, exclude_none=True),
        "updated_at": iso(created),
        "gsi_cust_pk": keys.customer_pk(order.customer_id),
        "gsi_cust_sk": f"{iso(created)}#{order_id}",
        "due_pk": keys.due_pk("EXPIRY", keys.shard(order_id, s.due_shards)),
        "due_at": iso(order.payment_deadline),
    }


def _chunks(items: Iterable[dict[str, Any]], n: int = 25) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for it in items:
        chunk.append(it)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_all(items: Iterable[dict[str, Any]], client: Any = None) -> int:
    """BatchWriteItem, 25 a request, retrying what is left unprocessed; returns items written."""
    client, table, n = client or aws.dynamodb(), ddb.table(), 0
    for chunk in _chunks(items):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": ddb.to_item(i)}} for i in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        n += len(chunk)
    return n


def unpaid_orders(prefix: str, count: int, created: datetime, client: Any = None) -> list[str]:
    ids = [f"o_{prefix}{i:06d}" for i in range(count)]
    write_all((unpaid_order_item(i, created) for i in ids), client)
    return ids


def delivered_order_item(order_id: str, delivered: datetime) -> dict[str, Any]:
    """A paid top-up order delivered at ``delivered``, in the completion index until its
    confirmation window (the top-up policy's 24 h) ends: what complete_delivery stores (the
    shape is checked against it in test_completion.py)."""
    item = unpaid_order_item(order_id, delivered - timedelta(minutes=5))
    ends = delivered + timedelta(
        hours=get_settings().policies.for_type(ProductType.MOBILE_TOPUP).confirmation_window_hours
    )
    paid_at = delivered - timedelta(minutes=4)
    trade = {"payment_id": f"pay-{order_id}", "channel": "alipay", "amount": item["amount"], "refunded": 0}
    return item | {
        "status": OrderStatus.DELIVERED.value,
        "version": 4,
        "paid_at": iso(paid_at),
        "payment_id": trade["payment_id"],
        "payment_channel": "alipay",
        "paid_amount": item["amount"],
        "trades": [trade],
        "stock_locked": True,
        "delivery_started_at": iso(delivered - timedelta(minutes=1)),
        "delivered_at": iso(delivered),
        "confirmation_ends_at": iso(ends),
        "updated_at": iso(delivered),
        "due_pk": keys.due_pk("COMPLETION", keys.shard(order_id, get_settings().due_shards)),
        "due_at": iso(ends),
    }


def delivered_orders(prefix: str, count: int, delivered: datetime, client: Any = None) -> list[str]:
    ids = [f"o_{prefix}{i:06d}" for i in range(count)]
    write_all((delivered_order_item(i, delivered) for i in ids), client)
    return ids
