"""The conversation's rules (docs/domain.md, "Conversations"): which threads are priority, and
by when support owes the customer an answer.

A thread is priority when what it is about cannot wait: an urgent request (a stop-delivery, an
escalated review, a checkable platform fault: ``domain.priority``) or a refund the customer must
act on or that is late. Support owes an answer from the customer's first message that it has
not answered; an answer from support settles it, the customer's next message starts the clock
again. The window is the policy book's (5 minutes priority, 60 others, by default)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.domain.policy import PolicyBook

STUCK_REFUND_STATUSES = frozenset({"needs_customer_action", "needs_attention"})


def answer_due(book: PolicyBook, priority: bool, asked_at: datetime) -> datetime:
    minutes = book.support_priority_answer_minutes if priority else book.support_answer_minutes
    return asked_at + timedelta(minutes=minutes)


def refund_is_priority(status: str, overdue: bool) -> bool:
    return status in STUCK_REFUND_STATUSES or overdue
