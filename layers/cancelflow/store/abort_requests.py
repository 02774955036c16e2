"""What asking fulfilment to abort writes, with the hold that asks it (docs/domain.md, "Stop
delivery"): ``abort_requested_at`` on the order and the ``delivery.abort_requested`` timeline
entry, whose event on the bus is how fulfilment is told. The review sweep writes the entry again
while the abort stays unanswered (the first event may have been lost, or missed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.domain.models import Order
from cancelflow.domain.states import Actor
from cancelflow.store import history

Op = dict[str, Any]  # one write of a transaction: pass it along, never look inside


def entry_op(order: Order, request_id: str, now: datetime, *, again: bool = False) -> Op:
    """The ``delivery.abort_requested`` entry (once per order version: a replay appends nothing)."""
    return history.entry_put(
        order.order_id,
        at=now,
        # not "#v…" (the state changes are those): the version whose hold asks, which the first
        # ask writes and a sweep's ask again finds stored
        suffix=f"abort-{order.version + (0 if again else 1):06d}",
        event=history.HistoryEvent.DELIVERY_ABORT_REQUESTED,
        actor=Actor.SYSTEM.value if again else Actor.CUSTOMER.value,
        actor_id="review_sla" if again else order.customer_id,
        from_status=order.status.value,
        to_status=order.status.value,
        detail={
            "request_id": request_id,
            "product_type": order.product_type.value,
            "key_ids": list(order.key_ids),
            "again": again,
        },
    )


def hold_sets(now: datetime) -> dict[str, Any]:
    """What the order's hold sets besides ``open_request_id`` when it asks for an abort."""
    return {"abort_requested_at": now}
