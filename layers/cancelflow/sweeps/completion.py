"""Complete delivered orders whose confirmation window has ended (docs/domain.md, "Order
states": ``delivered`` -> ``completed``, by the system). Integrations: DynamoDB only.

Read over the sparse due index (``DUE#COMPLETION#nn``: a delivered order is in it from its
delivery until its completion), so a run reads about the orders due and nothing else. The index
copy is only a hint, as in expiry (``sweeps.expiry``): ``complete_due`` writes conditionally on
the version and status it was given and on the window's end; a refusal carries the order as
stored and it is decided again on that. Two overlapping runs complete each order once.

Reads never wait for this sweep: an order past its window reads completed already
(``Order.as_of``), at the window's end, which is what the sweep writes as ``completed_at``.
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
from cancelflow.sweeps.expiry import ATTEMPTS, WAIT_SECONDS

log = logging.getLogger(__name__)


def complete_one(order: Order, now: datetime, tally: Tally) -> None:
    for attempt in range(ATTEMPTS):
        if not order.is_past_confirmation(now):
            # the index copy (attempt 0): not delivered any more or not yet due; what a refusal
            # found: another run completed it first (or it was completed on request)
            tally.add("skipped" if attempt == 0 else "lost")
            return
        try:
            orders.complete_due(order, now)
        except orders.OrderConflict as e:
            if e.found is None:
                tally.add("skipped")
                return
            if e.in_flight and attempt < ATTEMPTS - 1:
                # another transaction on the order (a refund of an appeal, say): its outcome first
                time.sleep(WAIT_SECONDS * 2**attempt * random.uniform(0.5, 1.0))
            order = e.found
            continue
        except DomainError as e:
            if e.code != ErrorCode.CONFLICT:
                raise
            fresh = orders.get_order(order.order_id)
            if fresh is None:
                tally.add("skipped")
                return
            order = fresh
            continue
        tally.add("done", ident=order.order_id)
        return
    tally.add("contended")
    log.warning(
        "completion of %s still refused after %d attempts; left for the next run", order.order_id, ATTEMPTS
    )


def complete_due(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """One bounded run: complete what is due now; what the budget leaves waits for the next run."""
    tally = Tally()

    def act(order: Order) -> None:
        try:
            complete_one(order, now, tally)
        except DomainError as e:
            # one order that cannot be completed must not stop the others; it stays due (and
            # reads completed meanwhile), logged every run until someone looks
            tally.add("failed")
            log.error("completion of %s failed: %s %s", order.order_id, e.code, e.details)

    return run(due.completing_orders(now), act, tally, budget, stop_at)
