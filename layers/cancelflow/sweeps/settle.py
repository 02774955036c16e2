"""One order a schedule acts on, decided against what is stored: the loop the expiry and
completion sweeps share (``sweeps.expiry``, ``sweeps.completion``).

The index copy of an order may lag the table (a GSI read is eventually consistent), so it is
only a hint: the sweep's write is conditional on the version and status it was given, and on a
conflict it is decided again on what is stored: the refusal carries the order as stored
(``orders.OrderConflict.found``, returned by the refused write itself when the order's own
condition failed), so a stale copy costs that one request and no read.

Two overlapping runs therefore act on each order once: the loser finds it changed and counts it
``lost`` (done elsewhere). A refusal by another transaction still in flight
(``OrderConflict.in_flight``: DynamoDB refuses a write to an item another transaction holds, and
what is found is the state before it) is decided again after a short, jittered wait, so the
loser sees that transaction's outcome instead of being refused by it again. An order still due
after every attempt is counted ``contended`` and logged; it stays due.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import orders
from cancelflow.sweeps.due import Reader, Tally, run

log = logging.getLogger(__name__)
# A stale index copy costs one refused write; a transaction in flight, a wait. More refusals of
# an order still due: someone keeps changing it, and the next run looks again.
ATTEMPTS = 4
WAIT_SECONDS = 0.025  # the first wait after a refusal by a transaction in flight; doubles

if TYPE_CHECKING:  # only named in annotations: a run with nothing due never loads it
    from cancelflow.domain.models import Order

    Due = Callable[[Order, datetime], bool]  # is this copy of the order still due now?
    Write = Callable[[Order, datetime], Order]  # the conditional write that acts on it


def settle_one(order: Order, now: datetime, tally: Tally, due: Due, write: Write, what: str) -> None:
    for attempt in range(ATTEMPTS):
        if not due(order, now):
            # the index copy (attempt 0): changed since it was made; what a refusal found:
            # another run acted first, or the owner changed it
            tally.add("skipped" if attempt == 0 else "lost")
            return
        try:
            write(order, now)
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
    # still due after every attempt: not lost (no one else acted), left for the next run
    tally.add("contended")
    log.warning(
        "%s of %s still refused after %d attempts; left for the next run", what, order.order_id, ATTEMPTS
    )


def settle_due(
    reader: Reader[Order],
    one: Callable[[Order, datetime, Tally], None],
    what: str,
    now: datetime,
    budget: int | None,
    stop_at: float | None,
) -> Tally:
    """One bounded run over ``reader`` (what the store finds due): ``one`` on each; what the budget
    leaves waits for the next run."""
    tally = Tally()

    def act(order: Order) -> None:
        try:
            one(order, now, tally)
        except DomainError as e:
            # One order that cannot be acted on must not stop the others; it stays due and is
            # logged every run until someone looks.
            tally.add("failed")
            log.error("%s of %s failed: %s %s", what, order.order_id, e.code, e.details)

    return run(reader, act, tally, budget, stop_at)
