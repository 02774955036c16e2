"""Conversations whose customer waits past support's answer window (docs/domain.md,
"Conversations"): each is escalated (counted, its ``support.answer_overdue`` entry published as
``conversation.answer_overdue`` to the operations topic) and its due time moved one window on,
conditionally on the thread's version, so overlapping runs escalate it once per window. What is
due is read and paged like every sweep's (``store.due.due_threads``, ``sweeps.due.run``).
Integrations: DynamoDB."""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from cancelflow.clock import iso
from cancelflow.settings import get_settings
from cancelflow.store import threads
from cancelflow.store.due import due_threads
from cancelflow.sweeps.due import Tally, run

log = logging.getLogger(__name__)


def _escalate(t: threads.Thread, now: datetime) -> bool:
    """True when this run escalated ``t``; False when it was answered meanwhile, the index copy
    was stale, or another run was first."""
    if t.awaiting_since is None or t.response_due is None or t.response_due > now:
        return False
    # imported with the first overdue conversation, not by a run that finds none
    from cancelflow.domain.conversation import answer_due
    from cancelflow.domain.states import Actor
    from cancelflow.store.history import HistoryEvent

    escalated = msgspec.structs.replace(
        t,
        version=t.version + 1,
        escalations=t.escalations + 1,
        escalated_at=now,
        response_due=answer_due(get_settings().policies, t.priority, now),
    )
    entry = {
        "at": now,
        "suffix": f"{t.subject_id}#overdue{escalated.escalations:04d}",
        "event": HistoryEvent.SUPPORT_ANSWER_OVERDUE.value,
        "actor": Actor.SYSTEM.value,
        "actor_id": "flag_reviews",
        "detail": {
            "subject_id": t.subject_id,
            "answer_due": iso(t.response_due),
            "escalations": escalated.escalations,
        },
    }
    return threads.save(escalated, None, entry)


def escalate_overdue(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """One bounded run over every overdue conversation."""
    tally = Tally()

    def act(t: threads.Thread) -> None:
        try:
            acted = _escalate(t, now)
        except Exception:
            tally.add("failed")  # one broken thread must not stop the others; it stays due
            log.exception("escalating conversation %s failed", t.subject_id)
            return
        if acted:
            tally.add("done", ident=t.subject_id)
        else:
            tally.add("lost")

    return run(due_threads(now), act, tally, budget, stop_at)
