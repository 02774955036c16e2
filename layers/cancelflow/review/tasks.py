"""What reviewers see of a review task: its live status (an open task is "claimed" while its
lease lasts, so an expired lease returns it to the pool without anyone writing anything) and
its view. The task as stored, its reads and writes: ``cancelflow.store.tasks``,
``cancelflow.store.review_steps``, ``cancelflow.store.review_decisions`` and
``cancelflow.store.review_escalations`` (docs/domain.md, "Review"); the names the review step
and its routes use are re-exported here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import parse
from cancelflow.domain.actions import PARTIAL_REFUND_ACTIONS
from cancelflow.store import tasks
from cancelflow.store.review_steps import list_tasks as list_tasks
from cancelflow.store.tasks import CLAIMED as CLAIMED
from cancelflow.store.tasks import DECIDED as DECIDED
from cancelflow.store.tasks import OPEN as OPEN
from cancelflow.store.tasks import STATUSES as STATUSES
from cancelflow.store.tasks import WAITING as WAITING
from cancelflow.store.tasks import WITHDRAWN as WITHDRAWN
from cancelflow.store.tasks import Reviewer as Reviewer
from cancelflow.store.tasks import Task as Task
from cancelflow.store.tasks import TaskStatus as TaskStatus
from cancelflow.store.tasks import task_id_for as task_id_for

REFUND_ONLY = frozenset(a.value for a in PARTIAL_REFUND_ACTIONS)  # a decision may refund part


def get_task(task_id: str) -> Task:
    """The task as stored, or TASK_NOT_FOUND."""
    return tasks.get(task_id)


def lease_live(task: Task, now: datetime) -> bool:
    return task.lease_until is not None and parse(task.lease_until) > now


def shown_status(task: Task, now: datetime) -> str:
    if task.status == OPEN and lease_live(task, now):
        return CLAIMED.value
    return task.status.value


def view(task: Task, now: datetime) -> dict[str, Any]:
    """What reviewers see of a task (the stored attributes, live status derived; a lease that
    ran out is not shown)."""
    out = tasks.dump(task)
    out["status"] = shown_status(task, now)
    out["partial_amount_allowed"] = task.action in REFUND_ONLY
    if not lease_live(task, now):
        out.pop("lease_holder", None)
        out.pop("lease_until", None)
        out.pop("lease_senior", None)
    return out
