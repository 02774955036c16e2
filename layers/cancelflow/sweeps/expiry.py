"""Expire unpaid orders past their payment deadline (docs/domain.md, "Order states": cancelled
by the system, reason ``payment_timeout``, stock released). Integrations: DynamoDB only.

The index copy of an order may lag the table (a GSI read is eventually consistent), so it is
only a hint: ``expire_order`` writes conditionally on the version and status it was given,
and on a conflict it is decided again on what is stored: the refusal carries the order as
stored (``orders.OrderConflict.found``, returned by the refused write itself when the order's
own condition failed), so a stale copy costs that one request and no read.
Two overlapping runs therefore expire each order once: the loser finds a cancelled order and
skips it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from cancelflow.domain.models import Order
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import due, orders
from cancelflow.sweeps.due import Tally, run

log = logging.getLogger(__name__)
ATTEMPTS = 3  # a stale index copy costs one refused write; more conflicts: someone else is on it


def expire_one(order: Order, now: datetime, tally: Tally) -> None:
    for attempt in range(ATTEMPTS):
        if not order.is_overdue_unpaid(now):
            # paid, cancelled or expired since the index copy was made
            tally.add("skipped" if attempt == 0 else "lost")
            return
        try:
            orders.expire_order(order, now)
        except DomainError as e:
            if e.code != ErrorCode.CONFLICT:
                raise
            # the order as the refusal found it (a CONFLICT of another kind: read it, consistently)
            fresh = e.found if isinstance(e, orders.OrderConflict) else orders.get_order(order.order_id)
            if fresh is None:
                tally.add("skipped")
                return
            order = fresh
            continue
        tally.add("done", ident=order.order_id)
        return
    tally.add("lost")  # still contended: it stays due and the next run looks again


def expire_due(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """One bounded run: expire what is due now; what the budget leaves waits for the next run."""
    tally = Tally()

    def act(order: Order) -> None:
        try:
            expire_one(order, now, tally)
        except DomainError as e:
            # One order that cannot be expired must not stop the others; it stays due and is
            # logged every run until someone looks.
            tally.add("failed")
            log.error("expiry of %s failed: %s %s", order.order_id, e.code, e.details)

    return run(due.expiring_orders(now), act, tally, budget, stop_at)
