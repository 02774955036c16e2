"""Expire unpaid orders past their payment deadline (docs/domain.md, "Order states": cancelled
by the system, reason ``payment_timeout``, stock released). Integrations: DynamoDB only.

The index copy of an order may lag the table (a GSI read is eventually consistent), so it is
only a hint: ``expire_order`` writes conditionally on the version and status it was given,
and on a conflict it is decided again on what is stored: the refusal carries the order as
stored (``orders.OrderConflict.found``, returned by the refused write itself when the order's
own condition failed), so a stale copy costs that one request and no read.

Two overlapping runs therefore expire each order once: the loser finds the order cancelled
and counts it ``lost`` (done elsewhere). A refusal by another transaction still in flight
(``OrderConflict.in_flight``: DynamoDB refuses a write to an item another transaction holds,
and what is found is the state before it) is decided again after a short, jittered wait, so
the loser sees that transaction's outcome instead of being refused by it again. An order
still due after every attempt is counted ``contended`` and logged; it stays due.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime

from cancelflow.domain.models import Order
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import due, orders
from cancelflow.sweeps.due import Tally, run

log = logging.getLogger(__name__)
# A stale index copy costs one refused write; a transaction in flight, a wait. More refusals of
# an order still due: someone keeps changing it, and the next run looks again.
ATTEMPTS = 4
WAIT_SECONDS = 0.025  # the first wait after a refusal by a transaction in flight; doubles


def expire_one(order: Order, now: datetime, tally: Tally) -> None:
    for attempt in range(ATTEMPTS):
        if not order.is_overdue_unpaid(now):
            # the index copy (attempt 0): paid or cancelled since it was made; what a refusal
            # found: another run expired it first, or its customer paid or cancelled it
            tally.add("skipped" if attempt == 0 else "lost")
            return
        try:
            orders.expire_order(order, now)
        except orders.OrderConflict as e:
            if e.found is None:
                tally.add("skipped")
                return
            if e.in_flight and attempt < ATTEMPTS - 1:
                # half to all of the doubled wait: two runs refused together do not retry together
                time.sleep(WAIT_SECONDS * 2**attempt * random.uniform(0.5, 1.0))
            order = e.found
            continue
        except DomainError as e:
            if e.code != ErrorCode.CONFLICT:
                raise
            # a CONFLICT without the order found: read it, consistently
            fresh = orders.get_order(order.order_id)
            if fresh is None:
                tally.add("skipped")
                return
            order = fresh
            continue
        tally.add("done", ident=order.order_id)
        return
    # still due after every attempt: not lost (no one else expired it), left for the next run
    tally.add("contended")
    log.warning(
        "expiry of %s still refused after %d attempts; left for the next run", order.order_id, ATTEMPTS
    )


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
