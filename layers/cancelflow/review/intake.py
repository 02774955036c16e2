"""A review message becomes exactly one review task.

One BatchGetItem (order, request, the customer's day statistics) and one transaction (the
task, conditional on not existing, plus its history entry, conditional on the request still
waiting for its decision). A redelivered or duplicated message finds the task there and does
nothing, so SQS at-least-once delivery is harmless; a request decided or withdrawn meanwhile
gets no task.
Integrations: DynamoDB.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.clock import iso
from cancelflow.domain.priority import URGENT, priority_class, reviewed_as
from cancelflow.messages import ReviewMessage
from cancelflow.review import tasks
from cancelflow.settings import get_settings
from cancelflow.store import customers, requests, review_steps
from cancelflow.store.tasks import Task, TaskKind, TaskRisk


class UnprocessableMessage(Exception):
    """The message names something that does not exist: retrying cannot help (-> DLQ)."""


def accept(msg: ReviewMessage, now: datetime) -> bool:
    """Create the task for ``msg``; False when it already exists (or its request is settled)."""
    book = get_settings().policies
    found = customers.read_request_with_risk(
        msg.order_id, msg.request_id, msg.customer_id, now, book.risk.window_days
    )
    order, request, risk = found.order, found.request, found.risk
    if order is None or request is None:
        raise UnprocessableMessage(f"no order/request for {msg.request_id}")
    if request.status not in requests.PENDING_REVIEW:
        return False  # decided meanwhile: a late duplicate must not reopen it
    policy = book.for_order(order)
    strict = risk.high_risk(book.risk)

    action = reviewed_as(msg.action.value, order.status)
    klass = priority_class(action, msg.reason_code, order.status)  # the order as stored now
    submitted = msg.submitted_at
    decision_due = request.due_at or submitted + timedelta(minutes=policy.review_decision_minutes)
    if order.abort_requested_at is not None:  # the request is due with fulfilment's answer; the
        decision_due = submitted + timedelta(minutes=policy.review_decision_minutes)  # task as any
    first_response_due = submitted + timedelta(minutes=policy.review_first_response_minutes)
    task = Task(
        task_id=tasks.task_id_for(msg.request_id, msg.kind),
        kind=TaskKind(msg.kind),
        request_id=msg.request_id,
        order_id=msg.order_id,
        customer_id=msg.customer_id,
        product_type=order.product_type.value,
        action=action,
        converted_from=msg.action.value if action != msg.action.value else None,
        reason_code=msg.reason_code.value,
        description=msg.description,
        evidence=tuple(msg.evidence),
        refund_to=msg.refund_to.value,
        requested_amount=msg.requested_amount,
        order_amount=msg.order_amount,
        status=tasks.OPEN,
        priority_class=klass,
        escalated=False,
        # appeals against a rejection go to a senior who did not reject; strict review (a
        # high-risk customer) is a senior's decision too (docs/domain.md, "Risk")
        senior_only=msg.kind == "rejection_appeal" or strict,
        rejected_by=msg.rejected_by,
        strict_review=strict,
        risk=TaskRisk(
            window_days=risk.window_days,
            orders=risk.orders,
            cancellation_requests=risk.cancellation_requests,
            flagged=risk.flagged,
        ),
        submitted_at=iso(submitted),
        created_at=iso(now),
        first_response_due=iso(first_response_due) if klass == URGENT else None,
        decision_due=iso(decision_due),
        abort_asked_at=iso(order.abort_requested_at) if order.abort_requested_at else None,
        claims=0,
        version=1,
    )
    return review_steps.create(task, now)  # False: the task exists (a redelivery or duplicate)
