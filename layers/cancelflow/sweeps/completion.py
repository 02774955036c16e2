"""Complete delivered orders whose confirmation window has ended (docs/domain.md, "Order
states": ``delivered`` -> ``completed``, by the system). Integrations: DynamoDB only.

Read over the sparse due index (``DUE#COMPLETION#nn``: a delivered order is in it from its
delivery until its completion), so a run reads about the orders due and nothing else. The index
copy is only a hint: ``complete_due`` writes conditionally on the version and status it was
given and on the window's end, and a refusal is decided again on the order as stored
(``sweeps.settle``, shared with expiry). Two overlapping runs complete each order once.

Reads never wait for this sweep: an order past its window reads completed already
(``Order.as_of``), at the window's end, which is what the sweep writes as ``completed_at``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cancelflow.store import due, orders
from cancelflow.sweeps.due import Tally
from cancelflow.sweeps.settle import settle_due, settle_one

if TYPE_CHECKING:  # only named in annotations: a run with nothing due never loads it
    from cancelflow.domain.models import Order


def _past_window(order: Order, now: datetime) -> bool:
    # not delivered any more (completed on request, or by another run), or not yet due
    return order.is_past_confirmation(now)


def complete_one(order: Order, now: datetime, tally: Tally) -> None:
    settle_one(order, now, tally, _past_window, orders.complete_due, "completion")


def complete_due(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """One bounded run: complete what is due now; what the budget leaves waits for the next run.
    An order that cannot be completed stays due (and reads completed meanwhile)."""
    return settle_due(due.completing_orders(now), complete_one, "completion", now, budget, stop_at)
