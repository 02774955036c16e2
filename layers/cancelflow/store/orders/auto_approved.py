"""The auto-approved cancellation written (docs/domain.md, "Auto-approval"), race-safe against
parallel requests of the same customer.

The transaction is ``cancel_with_refunds`` (the order cancelled with its full refund, its stock
released or quarantined, the request stored ``auto_approved`` and counted), plus two conditions
on the customer's risk as it was read:

- today's count of requests is no more than was read (``customers.guarded_count_op``). Every
  request is counted on the day it is made, so a request counted between this one's read and
  its write is on today's item: two parallel requests that both read "under the threshold"
  cannot both commit; the loser's caller decides again on what is stored then.
- support has not flagged the customer since (``customers.unflagged_check``).

The other day items of the window only go down after the read (a withdrawal, an upheld platform
fault), which only lowers the risk, so they need no condition. Around CST midnight a request
counted on the new day is outside the window of one read the day before: that one was decided
on a window it no longer overlaps, a serial order in which it came first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cancelflow.domain.models import Order
from cancelflow.domain.risk import RiskProfile
from cancelflow.domain.states import Actor
from cancelflow.store import customers, ddb, requests
from cancelflow.store.orders.cancellations import cancel_with_refunds
from cancelflow.store.orders.changes import OrderConflict

if TYPE_CHECKING:  # an annotation only: domain.options loads every eligibility rule and the policy
    from cancelflow.domain.options import Submission


class RiskMoved(OrderConflict):
    """The order was as read, but another item's condition failed: the customer's risk moved
    since the read (a parallel request counted, or a flag set). The caller decides again."""


def cancel_auto_approved(
    order: Order, sub: Submission, request_id: str, now: datetime, risk: RiskProfile
) -> tuple[Order, requests.Request, tuple[str, ...]]:
    """An auto-approved request: the order, the request and the refund ids. ``risk`` is the
    customer's risk the decision read (``requests_today`` is conditioned on). A lost race is
    ``OrderConflict`` when the order changed, ``RiskMoved`` when the order was as read and the
    risk was not."""
    request = requests.new_request(order, sub, request_id, requests.AUTO_APPROVED, now)
    try:
        return _write(order, sub, request, now, risk)
    except OrderConflict as e:
        cause = e.__cause__
        # reasons[0] is the order's own update (``Change.ops`` comes first): "None" there and a
        # failed condition elsewhere is the risk (the request, refund and stock items are new
        # or released with the order, so they do not fail while the order is as read)
        if (
            isinstance(cause, ddb.TransactionFailed)
            and cause.reasons[:1] == ["None"]
            and "ConditionalCheckFailed" in cause.reasons
        ):
            raise RiskMoved(e.found) from cause
        raise


def _write(
    order: Order, sub: Submission, request: requests.Request, now: datetime, risk: RiskProfile
) -> tuple[Order, requests.Request, tuple[str, ...]]:
    done, refund_ids = cancel_with_refunds(
        order,
        now,
        actor=Actor.CUSTOMER,
        actor_id=order.customer_id,
        reason=sub.reason_code.value,
        refund_to=sub.refund_to,
        request_id=request.request_id,
        # counted like a reviewed request (else a customer who always cancels inside the window
        # would never reach the threshold), and only if the count read is still the count
        extra=[
            requests.put_op(request),
            customers.guarded_count_op(order.customer_id, now, risk.requests_today),
            customers.unflagged_check(order.customer_id),
        ],
        condition="stock_locked = :f AND attribute_not_exists(open_request_id)",
        cond_values={":f": False},
    )
    return done, request, refund_ids
