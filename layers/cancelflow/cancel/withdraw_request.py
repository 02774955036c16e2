"""A customer withdraws their own request before its decision (docs/domain.md, "Withdrawal"):
``POST /v1/orders/{order_id}/cancellations/{request_id}/withdraw``.

Only a request still waiting for its decision (``under_review``, or ``need_info`` while the
reviewer waits for an answer) can be withdrawn; a settled one is ``REQUEST_NOT_PENDING``. The
withdrawal is one transaction against the stored order, request and task
(``store/request_changes.withdraw``), so a reviewer's decision and a withdrawal racing each
other are decided by whichever commits first: the loser's write condition fails, and the loser
is told why from what is stored then. Integrations: DynamoDB (three reads, one transaction).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.domain.models import Order
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import orders, request_changes, requests, tasks
from cancelflow.store.requests import Request


class Withdrawn(msgspec.Struct, frozen=True):
    """What a withdrawal left: the order (no longer held), the request as stored, its task."""

    order: Order
    request: Request
    task_id: str | None


def _not_pending(request: Request) -> DomainError:
    return DomainError(
        ErrorCode.REQUEST_NOT_PENDING, {"request_id": request.request_id, "status": request.status.value}
    )


def withdraw(customer_id: str, order_id: str, request_id: str, now: datetime) -> Withdrawn:
    """Withdraw ``request_id`` of the caller's order ``order_id``; another customer's order (or
    request) is not found."""
    order = orders.require_order(order_id, customer_id)
    request = requests.get_request(order_id, request_id)
    if request.status not in requests.PENDING_REVIEW or order.open_request_id != request_id:
        raise _not_pending(request)
    if order.abort_requested_at is not None:  # only fulfilment's answer settles a stop now
        raise DomainError(
            ErrorCode.ABORT_PENDING,
            {"request_id": request_id, "abort_requested_at": order.abort_requested_at},
        )
    kind = request_changes.review_kind(request)
    try:
        task: tasks.Task | None = tasks.get(tasks.task_id_for(request_id, kind))
    except DomainError:
        task = None  # intake has not made it yet: the write checks it still does not exist
    try:
        left = request_changes.withdraw(order, request, task, now)
    except DomainError as e:
        if e.code is not ErrorCode.CONFLICT:
            raise
        # lost a race: a decision that committed first is the answer, else the caller retries
        fresh = requests.get_request(order_id, request_id)
        if fresh.status not in requests.PENDING_REVIEW:
            raise _not_pending(fresh) from e
        raise
    withdrawn = msgspec.structs.replace(
        request, status=requests.WITHDRAWN, withdrawn_at=now, updated_at=now, due_at=None
    )
    return Withdrawn(left, withdrawn, task.task_id if task is not None else None)
