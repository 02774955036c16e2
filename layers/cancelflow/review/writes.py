"""A review step that leaves the order alone (ask the customer, turn into an appeal): which
writes it is made of. Each write and its condition: ``cancelflow.store.review_steps``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.domain.states import Actor
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.store import review_steps
from cancelflow.store.requests import Request
from cancelflow.store.tasks import Op


def step(
    task: Task,
    request: Request,
    reviewer: Reviewer,
    now: datetime,
    sets: dict[str, Any],
    park: str | None,
    request_sets: dict[str, Any],
    event: str,
    detail: dict[str, Any],
) -> list[Op]:
    """The task (under the caller's lease), the request (still undecided) and the step's
    timeline entry, for one transaction."""
    return [
        review_steps.step_op(task, reviewer, now, sets, park),
        review_steps.request_update(request, request_sets, decided=False),
        review_steps.entry(task, Actor.REVIEWER, reviewer.id, now, event, detail),
    ]
