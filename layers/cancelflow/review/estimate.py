"""When a request just sent to review is expected to be decided (docs/domain.md, "Review",
expected review time): where its task will stand in the review order, counted against the open
tasks and the recent decisions (two COUNT Queries), turned into a time by
``domain.review_eta``. Its task does not exist yet (intake makes it from the queue's message),
so its place is computed as intake will compute it.
Integrations: DynamoDB (two Queries, no items read).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.domain import review_eta
from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.priority import priority_class, priority_key, reviewed_as
from cancelflow.store import review_queue, tasks
from cancelflow.store.requests import Request


def expected_review_by(request: Request, order: Order, now: datetime, policy: CancellationPolicy) -> datetime:
    """``request`` as stored under review, ``order`` as held by it."""
    klass = priority_class(reviewed_as(request.action.value, order.status), request.reason_code, order.status)
    # a stop waiting for fulfilment is due with its answer, which settles it (docs/domain.md,
    # "Stop delivery"); any other request with its review SLA
    due = request.due_at or now + timedelta(minutes=policy.review_decision_minutes)
    kind = "rejection_appeal" if request.appeal_used else "cancellation"
    place = priority_key(
        klass, due, request.amount or order.amount, tasks.task_id_for(request.request_id, kind)
    )
    ahead, decided = review_queue.queue_counts(place, now - review_eta.RATE_WINDOW)
    return review_eta.expected_review_by(now, ahead, decided, due)
