"""Conversations whose customer waits past support's answer window (docs/domain.md,
"Conversations"): each is escalated (counted, its ``support.answer_overdue`` entry published as
``conversation.answer_overdue`` to the operations topic) and its due time moved one window on,
conditionally on the thread's version, so overlapping runs escalate it once per window.
Integrations: DynamoDB."""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from cancelflow.clock import iso
from cancelflow.domain.conversation import answer_due
from cancelflow.domain.states import Actor
from cancelflow.settings import get_settings
from cancelflow.store import threads
from cancelflow.store.history import HistoryEvent

log = logging.getLogger(__name__)


def escalate_overdue(now: datetime, budget: int = 500) -> int:
    """One bounded run; how many threads this run escalated."""
    done = 0
    book = get_settings().policies
    for t in threads.due(now):
        if done >= budget:
            break
        if t.awaiting_since is None or t.response_due is None or t.response_due > now:
            continue  # answered meanwhile, or the index copy was stale
        escalated = msgspec.structs.replace(
            t,
            version=t.version + 1,
            escalations=t.escalations + 1,
            escalated_at=now,
            response_due=answer_due(book, t.priority, now),
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
        if threads.save(escalated, None, entry):
            done += 1
        else:
            log.info("thread %s changed while escalating; the next run looks again", t.subject_id)
    return done
