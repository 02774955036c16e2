"""Overdue reviews: flagged and escalated (urgent, senior-only), never silently forgotten.

The schedules step sweeps the sparse ``DUE#REVIEW#nn`` index (request items whose review is
due) and calls ``escalate_overdue`` for each. Every call moves the request's ``due_at`` on by
one decision window, conditional on the value it read: so an escalated request does not come
back in every sweep (a backlog of escalated tasks cannot starve new ones out of a bounded
sweep), two overlapping sweeps act once, and a task that is still not decided is looked at
again later. Integrations: DynamoDB (through ``cancelflow.store``), SQS (the review queue, if
intake never saw the request).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow import dispatch
from cancelflow.clock import parse
from cancelflow.domain import stop_delivery
from cancelflow.domain.models import Order
from cancelflow.domain.priority import priority_class
from cancelflow.domain.reasons import Reason
from cancelflow.review import tasks
from cancelflow.review.tasks import Task
from cancelflow.settings import get_settings
from cancelflow.store import request_changes, requests, review_escalations
from cancelflow.store.requests import Request


def _abort_of(request: Request, order: Order) -> Order | None:
    """The order whose stop still waits for fulfilment's answer, to be asked again
    (docs/domain.md, "Stop delivery"): the first event may have been lost, or missed."""
    if order.abort_requested_at is None or order.open_request_id != request.request_id:
        return None
    return order


def _escalate(request: Request, task: Task, order: Order, next_due: datetime, now: datetime) -> bool:
    """Urgent, for a senior, and back in the open pool if it waited for the customer in vain."""
    due = parse(task.decision_due)
    if task.status == tasks.WAITING:
        due = now  # the customer did not answer: decide now, with what there is
    # From now on only a senior may decide it: a plain reviewer's lease is ended (it could only
    # block the seniors until it ran out, on a task already late); a senior's is kept. The write
    # is conditioned on the version read, so the holder seen is the holder at the write.
    ends_lease = task.lease_holder is not None and task.lease_senior is not True
    return review_escalations.escalate(
        request,
        task,
        now,
        next_due=next_due,
        decision_due=due,
        priority_class=priority_class(task.action, Reason(task.reason_code), order.status, escalated=True),
        end_lease=ends_lease,
        why=_why(task, order),
        abort_of=_abort_of(request, order),
    )


def _why(task: Task, order: Order) -> str:
    if order.abort_requested_at is not None:
        return "abort_unanswered"  # fulfilment has not answered the stop in the policy's time
    return "info_not_supplied" if task.status == tasks.WAITING else "review_overdue"


def escalate_overdue(item: Request | Task, now: datetime) -> bool:
    """Flag one overdue review (``item``: the due request as the sweep read it, or its task).
    True when this call changed something (escalated the task or re-sent the message); False
    when it was not overdue, already settled, or another sweep won."""
    request = review_escalations.due_request(item)
    if (
        request is None
        or request.status not in requests.PENDING_REVIEW
        or request.due_at is None
        or request.due_at > now
    ):
        return False
    book = get_settings().policies
    kind = request_changes.review_kind(request)
    order, task = review_escalations.order_and_task(
        request.order_id, tasks.task_id_for(request.request_id, kind)
    )
    if order is None:
        return False  # nothing to review without its order (never expected)
    policy = book.for_order(order)
    next_due = now + timedelta(minutes=policy.review_decision_minutes)
    if order.abort_requested_at is not None:  # asked again sooner: only fulfilment can answer
        next_due = stop_delivery.abort_answer_due(policy, now)
    if task is not None and task.status in (tasks.DECIDED, tasks.WITHDRAWN):
        return False
    if task is None or (task.escalated and task.status != tasks.WAITING):
        if not review_escalations.rearm(request, next_due, now, _abort_of(request, order)):
            return False  # another sweep took it (or the request moved on)
        if task is None:
            dispatch.send_review(requests.review_message(request, order))  # intake never saw it: again
            return True
        return _abort_of(request, order) is not None  # asked again: something changed
    return _escalate(request, task, order, next_due, now)
