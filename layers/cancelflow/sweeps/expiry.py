"""Expire unpaid orders past their payment deadline (docs/domain.md, "Order states": cancelled
by the system, reason ``payment_timeout``, stock released). Integrations: DynamoDB only.

``expire_order`` writes conditionally on the version and status the index copy gave it; how a
refusal is decided again, and why two overlapping runs expire each order once, is
``sweeps.settle``'s (shared with the completion sweep).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cancelflow.store import due, orders
from cancelflow.sweeps.due import Tally
from cancelflow.sweeps.settle import ATTEMPTS, WAIT_SECONDS, settle_due, settle_one

if TYPE_CHECKING:  # only named in annotations: a run with nothing due never loads it
    from cancelflow.domain.models import Order

__all__ = ["ATTEMPTS", "WAIT_SECONDS", "expire_due", "expire_one"]


def _overdue(order: Order, now: datetime) -> bool:
    # paid or cancelled since the copy was made, or another run expired it: not due
    return order.is_overdue_unpaid(now)


def expire_one(order: Order, now: datetime, tally: Tally) -> None:
    settle_one(order, now, tally, _overdue, orders.expire_order, "expiry")


def expire_due(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """One bounded run: expire what is due now; what the budget leaves waits for the next run."""
    return settle_due(due.expiring_orders(now), expire_one, "expiry", now, budget, stop_at)
