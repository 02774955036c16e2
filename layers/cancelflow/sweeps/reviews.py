"""Reviews past their SLA (docs/domain.md, "Review": overdue tasks are flagged and escalated).
Integrations: DynamoDB, SQS (through the review step).

Requests under review sit in ``DUE#REVIEW#nn`` until decided. What escalation means (raise
the priority, mark for a senior, re-send the review message when intake never made a task)
is the review step's rule, ``cancelflow.review.sla.escalate_overdue``; it writes conditionally
on the ``due_at`` it read and moves it on, so overlapping runs act once and an escalated
request is looked at again one decision window later. Its history entry
(``review.escalated``) is published as ``review.overdue`` (docs/events.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from cancelflow.store.due import due_reviews
from cancelflow.sweeps.due import Tally, run

if TYPE_CHECKING:  # only named in annotations: a run with nothing due never loads it
    from cancelflow.store.requests import Request

    Escalate = Callable[[Request, datetime], bool]

log = logging.getLogger(__name__)


def _escalate(request: Request, now: datetime) -> bool:
    # imported with the first due request: the review step's modules stay out of every other
    # cold start, and out of a run that finds nothing due
    from cancelflow.review.sla import escalate_overdue

    return escalate_overdue(request, now)


def escalate_due(
    now: datetime, budget: int | None = None, escalate: Escalate | None = None, stop_at: float | None = None
) -> Tally:
    """One bounded run: every due request is handed to ``escalate`` (True = this run acted)."""
    do = escalate or _escalate
    tally = Tally()

    def act(item: Request) -> None:
        try:
            acted = do(item, now)
        except Exception:
            # one broken request must not stop the others; it stays due and is logged each run
            tally.add("failed")
            log.exception("escalating request %s failed", item.request_id)
            return
        if acted:
            tally.add("done", ident=item.request_id)
        else:
            tally.add("lost")  # settled, not yet due once re-read, or another run was first

    return run(due_reviews(now), act, tally, budget, stop_at)
