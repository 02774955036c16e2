"""Completion: a delivered order becomes ``completed`` when its confirmation window ends
(docs/domain.md, "Order states"). Each is one ``Change``.

The window's end is fixed when the order is delivered (``due_at_delivery``: the order's
``confirmation_ends_at`` and its entry in the sparse due index, ``DUE#COMPLETION#nn``), so
the reads that show the order completed from that instant (``Order.as_of``) and the sweep that
writes it (``sweeps.completion``) agree on it. Completion writes that same instant as
``completed_at``: what a read showed before the sweep ran is what it shows after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import keys
from cancelflow.store.orders.changes import Change, not_due, run
from cancelflow.store.orders.reads import require_in


def due_at_delivery(order: Order, now: datetime) -> dict[str, Any]:
    """What delivery sets besides its status: when the confirmation window ends (its product
    type's policy now) and the order's place in the completion due index until then."""
    s = get_settings()
    ends = now + s.policies.for_order(order).confirmation_window
    return {
        "confirmation_ends_at": ends,
        "due_pk": keys.due_pk(keys.COMPLETION, keys.shard(order.order_id, s.due_shards)),
        "due_at": iso(ends),
    }


def _complete(order: Order, now: datetime, completed_at: datetime, condition: str = "") -> Order:
    return run(
        Change(
            order,
            OrderStatus.COMPLETED,
            "order.completed",
            Actor.SYSTEM,
            "confirmation",
            now,
            set_={"completed_at": completed_at},
            remove=not_due(),
            condition=condition,
            cond_values={":now": iso(now)} if condition else {},
            detail={"completed_at": iso(completed_at)},  # the event's (events/catalogue.py)
        )
    )


def complete_order(order_id: str, now: datetime) -> Order:
    """Complete a delivered order now (the customer confirmed receipt, or its window ended).
    Past the window's end it is completed at that end, as every read already showed it."""
    order = require_in(order_id, OrderStatus.DELIVERED)
    ends = order.confirmation_ends_at
    return _complete(order, now, min(now, ends) if ends is not None else now)


def complete_due(order: Order, now: datetime) -> Order:
    """The sweep completes a delivered order whose window has ended, as ``order`` has it (the
    due index's copy: no read). The write is conditional on the version and status given and on
    the stored window's end being past, so a stale copy is refused (``OrderConflict`` carries
    the order as stored) and two overlapping runs complete it once."""
    if not order.is_past_confirmation(now) or order.confirmation_ends_at is None:
        raise DomainError(ErrorCode.CONFLICT, {"status": order.status.value})
    return _complete(order, now, order.confirmation_ends_at, "confirmation_ends_at <= :now")
