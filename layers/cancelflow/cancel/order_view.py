"""Reading an order together with its customer's risk: one BatchGetItem (the order and the
customer's day statistics, ``orders.read_with_risk``), which is all ``cancellation-options``
needs."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.domain.models import Order, RiskProfile
from cancelflow.domain.options import CancellationOptions, cancellation_options
from cancelflow.settings import get_settings
from cancelflow.store import orders


class OrderView(msgspec.Struct, frozen=True):
    """The customer's order with their risk profile, read together for the order's options."""

    order: Order
    risk: RiskProfile


def load(order_id: str, customer_id: str, now: datetime) -> OrderView:
    """The caller's order and risk; another customer's order is not found (never revealed)."""
    window = get_settings().policies.risk.window_days
    return OrderView(*orders.read_with_risk(order_id, customer_id, now, window))


def options(
    order_id: str, customer_id: str, now: datetime, lang: str
) -> tuple[OrderView, CancellationOptions]:
    view = load(order_id, customer_id, now)
    return view, cancellation_options(view.order, now, get_settings().policies, view.risk, lang)
