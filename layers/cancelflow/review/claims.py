"""Claiming (a lease) and giving back, and who may decide a task: two reviewers never decide the
same task; an expired lease returns the task to the pool; senior-only tasks are for seniors.

claim-next reads one page of the open pool in priority order and leases a candidate with one
conditional write (``store.tasks.lease``: an UpdateItem, or for a task's first claim a
transaction that also puts the timeline entry). A reviewer who loses a race tries another
candidate of the same page, and after a few losses reads the pool again, so 50 reviewers over
20 tasks cost few extra requests. Leases are reviewer-internal: they are kept on the task
(holder, until, claims count, first_response_at), and only the first claim goes on the
customer's timeline. Integrations: DynamoDB (through ``cancelflow.store``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.review import tasks
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.settings import get_settings
from cancelflow.store import orders, review_steps
from cancelflow.store import tasks as stored

PAGE = 25  # candidates read per query; reviewers holding leases on top are filtered out
MAX_LOSSES = 3  # lost races on one page before reading the pool again
MAX_ROUNDS = 20  # pages read at most, so a claim always answers


def claim_next(reviewer: Reviewer, now: datetime) -> Task:
    """Lease the highest-priority task this reviewer may take, or NO_TASK_AVAILABLE."""
    until = now + timedelta(minutes=get_settings().policies.review_lease_minutes)
    start: stored.Start = None
    for _round in range(MAX_ROUNDS):
        page, start = stored.open_pool(reviewer, now, PAGE, start)
        losses = 0
        while page and losses < MAX_LOSSES:
            # The top candidate first; after a lost race, a random one of the rest, so that
            # reviewers arriving together spread out instead of all colliding on each next one.
            task = page.pop(random.randrange(len(page)) if losses else 0)
            if waits_for_fulfilment(task):
                continue  # nothing to decide until fulfilment answers the abort: the next one
            leased = stored.lease(task, reviewer, now, until)
            if leased is not None:
                return leased
            losses += 1
        if losses >= MAX_LOSSES:
            start = None  # this page is contended: read the pool again (the taken ones drop out)
            continue
        if not start:
            break
    raise DomainError(ErrorCode.NO_TASK_AVAILABLE)


def waits_for_fulfilment(task: Task) -> bool:
    """A stop whose abort fulfilment has not answered yet: no reviewer can decide it
    (``ABORT_PENDING``), so claim-next passes it by instead of handing it out again and again.
    One order read, only for tasks made while an abort was asked; the decision checks again."""
    if task.abort_asked_at is None:
        return False
    order = orders.get_order(task.order_id)
    return order is not None and order.abort_requested_at is not None


def require_may_decide(task: Task, reviewer: Reviewer) -> None:
    """Senior-only tasks (appeals against a rejection, escalations) are for seniors; an appeal
    against a rejection never for the reviewer who rejected (the rule the write itself checks
    again: ``store.review_steps.decider_condition``)."""
    if (task.only_seniors and not reviewer.senior) or task.rejected_by == reviewer.id:
        raise DomainError(ErrorCode.FORBIDDEN, {"task_id": task.task_id, "needs": "senior_reviewer"})


def require_lease(task: Task, reviewer: Reviewer, now: datetime) -> None:
    if task.status == tasks.WITHDRAWN:  # the customer took the request back: nothing to decide
        raise DomainError(
            ErrorCode.REQUEST_WITHDRAWN,
            {"task_id": task.task_id, "request_id": task.request_id, "withdrawn_at": task.updated_at},
        )
    if task.status == tasks.DECIDED:
        raise DomainError(ErrorCode.TASK_ALREADY_DECIDED, {"task_id": task.task_id, "outcome": task.outcome})
    if task.lease_holder != reviewer.id or not tasks.lease_live(task, now):
        raise DomainError(
            ErrorCode.LEASE_NOT_HELD, {"task_id": task.task_id, "status": tasks.shown_status(task, now)}
        )


def release(task_id: str, reviewer: Reviewer, now: datetime) -> Task:
    """Give a claimed task back to the pool at once (instead of waiting for the lease)."""
    task = tasks.get_task(task_id)
    require_lease(task, reviewer, now)
    released = review_steps.release(task, reviewer, now)
    if released is None:
        raise DomainError(ErrorCode.LEASE_NOT_HELD, {"task_id": task_id})
    return released
