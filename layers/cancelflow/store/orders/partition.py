"""Reading an order with what belongs to it: its partition (the order, its history, its
requests and its conversations, one Query), or the order with its customer's risk (one
BatchGetItem)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.domain.models import Order, RiskProfile
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import customers, ddb, history, keys, requests, threads
from cancelflow.store.orders.reads import of_item


class Partition(msgspec.Struct, frozen=True):
    """Everything the table keeps under one order: the order, history, requests, conversations."""

    order: Order
    history: list[history.Entry]  # in time order
    requests: list[requests.Request]
    conversations: threads.Conversations


def read_partition(order_id: str, customer_id: str | None) -> Partition:
    """The caller's order with its history, requests and conversations; another customer's order
    is not found. ``customer_id`` None: staff, who may read any order."""
    items = list(ddb.query_all(None, "pk = :p", {":p": keys.order_pk(order_id)}))
    raw = next((i for i in items if i["sk"] == keys.ORDER), None)
    if raw is None or (customer_id is not None and raw.get("customer_id") != customer_id):
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, {"order_id": order_id})
    return Partition(
        of_item(raw),
        [history.of_item(i) for i in items if i["sk"].startswith("HIST#")],
        [requests.of_item(i) for i in items if i["sk"].startswith("REQ#")],
        threads.of_items(items),
    )


def read_with_risk(
    order_id: str, customer_id: str, now: datetime, window_days: int
) -> tuple[Order, RiskProfile]:
    """The caller's order and their risk over ``window_days``; another customer's order is not
    found (never revealed)."""
    order_key = (keys.order_pk(order_id), keys.ORDER)
    items = ddb.batch_get([order_key, *customers.risk_keys(customer_id, now, window_days)])
    raw = items.get(order_key)
    if raw is None or raw.get("customer_id") != customer_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, {"order_id": order_id})
    return of_item(raw), customers.risk_from(items, customer_id, window_days, now)
