"""When a request under review is expected to be decided, from the queue as it stands: the
tasks ahead of it in priority and how fast reviewers decided lately, never later than its SLA
due time (docs/domain.md, "Review", expected review time). Pure: the store counts, this rule
turns the counts into a time."""

from __future__ import annotations

from datetime import datetime, timedelta

# How far back decisions count towards the rate: long enough to smooth a reviewer's coffee
# break, short enough to follow a shift change.
RATE_WINDOW = timedelta(minutes=60)
# No estimate is sooner than this: even an empty queue needs a reviewer to open the task, and a
# promise of "now" would be broken by the first claim's latency.
FLOOR = timedelta(minutes=5)


def expected_review_by(
    now: datetime,
    tasks_ahead: int,
    decided_in_window: int,
    due_at: datetime,
    window: timedelta = RATE_WINDOW,
) -> datetime:
    """now + (tasks ahead + 1) / rate, at least FLOOR from now, never after `due_at` (the
    static SLA, or an urgent or stop request's own due). With no decisions in the window the
    rate is unknown and the SLA is the honest answer."""
    if tasks_ahead < 0 or decided_in_window < 0:
        raise ValueError("counts cannot be negative")
    if decided_in_window == 0:
        return due_at
    per_task = window / decided_in_window
    estimate = now + max(per_task * (tasks_ahead + 1), FLOOR)
    return min(estimate, due_at)
