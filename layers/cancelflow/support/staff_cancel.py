"""Support cancels an order (stock error, fraud, supplier failure): the cancellation every other
path makes (``store.orders.staff_cancel`` on ``cancel_with_refunds``), with actor support; a paid
order refunded in full to its original channel, its keys back to stock or voided. A second
staff cancel is ORDER_CANCELLED and changes nothing; a race with the customer's own cancel is
decided by the order's conditional write, and the loser is told what won."""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain.models import Order
from cancelflow.domain.states import OrderStatus
from cancelflow.domain.support import Restock, StaffCancelReason, require_note
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import orders


def cancel(
    order_id: str,
    reason: StaffCancelReason,
    note: str,
    restock: Restock,
    actor_id: str,
    now: datetime,
) -> tuple[Order, tuple[str, ...]]:
    """The order as cancelled and its refund ids (the applied trade's first; none if unpaid)."""
    require_note(note)
    order = orders.require_order(order_id)
    try:
        done, refund_ids = orders.staff_cancel(
            order, now, actor_id=actor_id, reason=reason.value, note=note, void_keys=restock is Restock.VOID
        )
    except orders.OrderConflict as e:
        # lost to another change: cancelled by someone else first is the clear answer
        if e.found is not None and e.found.status is OrderStatus.CANCELLED:
            raise DomainError(ErrorCode.ORDER_CANCELLED, {"status": e.found.status.value}) from e
        raise
    for refund_id in refund_ids:  # after the commit; the refund sweep covers a loss
        dispatch.send_refund(refund_id)
    return done, refund_ids
