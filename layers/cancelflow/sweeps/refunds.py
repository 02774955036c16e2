"""Refunds the schedule looks after (docs/domain.md, "Refund SLA and overdue"). Integrations:
DynamoDB (through ``cancelflow.store.refunds``), SQS.

1. **Overdue**: a refund overdue by domain/refund_sla.py's rule (its SLA passed, not succeeded),
   found through the SLA index (``DUE#REFUND#nn``, due_at = the SLA), gets ``overdue = true``
   and an order history entry ``refund.overdue`` (the customer's timeline and the events
   outbox) in one transaction, and leaves the SLA index (``refunds.flag_overdue``). The refund
   keeps its status and version: the flag is not a lifecycle transition, so a worker holding
   the refund is not disturbed.
2. **Stuck**: a refund waiting for an attempt (``pending``/``failed``, or ``processing`` whose
   lease ran out because its worker died) whose next attempt time passed more than one refund
   queue visibility timeout ago has no message that will deliver it: it is handed back to the
   refund step (``dispatch.send_refund``). The by-status index already sorts these states by
   their next attempt time (cancelflow.store.refunds), so "due" is a range query per shard.
   A conditional stamp (``refunds.mark_handed_back``) makes overlapping runs send it once per
   window.
"""

from __future__ import annotations

import logging
from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain import refund_sla
from cancelflow.store import refunds
from cancelflow.store.due import overdue_refunds, refunds_waiting
from cancelflow.store.refunds import Refund, RefundStatus
from cancelflow.sweeps.due import Tally, run

log = logging.getLogger(__name__)

# A refund message in flight (just sent, delayed by the worker, or in a dead worker's hands)
# shows up within the queue's visibility timeout; only a refund still due after that is stuck.
HAND_BACK_AFTER = refunds.QUEUE_VISIBILITY
ATTEMPTS = 3


def _to_flag(refund: Refund, now: datetime) -> bool:
    """Still to be flagged: not flagged yet (so still in the SLA index) and overdue."""
    return not refund.overdue and refund_sla.is_overdue(
        due=refund.sla_due_at, succeeded=refund.status is RefundStatus.SUCCEEDED, now=now
    )


def flag_one(refund: Refund | None, now: datetime, tally: Tally) -> None:
    for attempt in range(ATTEMPTS):
        if refund is None or not _to_flag(refund, now):
            tally.add("skipped" if attempt == 0 else "lost")
            return
        if refunds.flag_overdue(refund, now):
            tally.add("done", ident=refund.refund_id)
            return
        # the index copy was stale, or the worker moved it: decide on the stored refund
        refund = refunds.get(refund.refund_id)
    tally.add("lost")


def flag_overdue(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    tally = Tally()
    return run(overdue_refunds(now), lambda r: flag_one(r, now, tally), tally, budget, stop_at)


def hand_back_stuck(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """Send refunds that wait for an attempt nobody will make back to the refund step."""
    tally = Tally()

    def act(r: Refund) -> None:
        if refunds.mark_handed_back(r, now, not_since=now - HAND_BACK_AFTER):
            dispatch.send_refund(r.refund_id)
            tally.add("done", ident=r.refund_id)
        else:
            tally.add("lost")

    timed = tuple(s.value for s in refunds.TIMED)
    return run(refunds_waiting(timed, now - HAND_BACK_AFTER), act, tally, budget, stop_at)
