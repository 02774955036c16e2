"""Reading an order together with its customer's risk: one BatchGetItem (the order and the
customer's day statistics), which is all ``cancellation-options`` needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cancelflow.domain.models import Order, RiskProfile
from cancelflow.domain.options import CancellationOptions, cancellation_options
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, keys
from cancelflow.store.codec import decode


@dataclass(frozen=True)
class OrderView:
    order: Order
    risk: RiskProfile


def load(order_id: str, customer_id: str, now: datetime) -> OrderView:
    """The caller's order and risk; another customer's order is not found (never revealed)."""
    window = get_settings().policies.risk.window_days
    order_key = (keys.order_pk(order_id), keys.ORDER)
    items = ddb.batch_get([order_key, *customers.risk_keys(customer_id, now, window)])
    raw = items.get(order_key)
    if raw is None or raw.get("customer_id") != customer_id:
        raise DomainError("ORDER_NOT_FOUND", {"order_id": order_id})
    return OrderView(decode(Order, raw), customers.risk_from(items, customer_id, window))


def options(
    order_id: str, customer_id: str, now: datetime, lang: str
) -> tuple[OrderView, CancellationOptions]:
    view = load(order_id, customer_id, now)
    return view, cancellation_options(view.order, now, get_settings().policies, view.risk, lang)
