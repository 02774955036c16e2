"""Fulfilment answers a stop-delivery `aborted`: nothing went out (docs/domain.md, "Stop
delivery"). The order is cancelled and refunded in full at once, no reviewer needed; its keys
are quarantined (delivery had started), its stop request approved by fulfilment and its task
closed, in one transaction (``store/aborts.py``).

A top-up's answer must carry its upstream's word; `already_credited` is the `delivered` answer
(``domain/stop_delivery.means_delivered``). A repeated `aborted` (a retry of an answer that was
applied) returns the cancelled order and changes nothing. Integrations: DynamoDB, SQS (the
refund queue).
"""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain import stop_delivery
from cancelflow.domain.models import Order
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.domain.stop_delivery import Upstream
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import aborts, orders, requests, tasks
from cancelflow.store.request_changes import review_kind


def _answered_before(order: Order) -> bool:
    """Cancelled by an `aborted` answer: the only cancellation the platform itself makes."""
    return order.status is OrderStatus.CANCELLED and order.cancelled_by is Actor.PLATFORM


def aborted(order_id: str, upstream: Upstream | None, now: datetime) -> Order:
    order = orders.require_order(order_id)
    if _answered_before(order):
        return order
    if order.abort_requested_at is None or order.open_request_id is None:
        raise DomainError(ErrorCode.ABORT_NOT_REQUESTED, {"status": order.effective_status(now).value})
    if upstream is None and stop_delivery.upstream_required(order):
        raise DomainError(
            ErrorCode.VALIDATION_FAILED,
            {"field": "upstream", "why": "a top-up's answer carries the upstream's word"},
        )
    if stop_delivery.means_delivered(upstream):  # the credit is on the phone: value moved
        return orders.complete_delivery(order_id, now, upstream.value if upstream else None)
    request = requests.get_request(order_id, order.open_request_id)
    try:
        task: tasks.Task | None = tasks.get(tasks.task_id_for(request.request_id, review_kind(request)))
    except DomainError:
        task = None  # intake has not made it yet: the write checks it still does not exist
    try:
        done, refund_ids = aborts.answered_aborted(
            order, request, task, now, upstream.value if upstream else None
        )
    except orders.OrderConflict as e:
        if e.found is not None and _answered_before(e.found):
            return e.found  # the same answer, twice at once: applied by the other
        raise
    for refund_id in refund_ids:
        dispatch.send_refund(refund_id)
    return done
