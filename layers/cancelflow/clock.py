"""The one clock every handler, schedule and use case reads.

In the cloud it is the system clock. The local runtime moves it forward (``POST /local/clock``)
so journeys that wait on deadlines can be tried in seconds; nothing else may call
``datetime.now`` for business time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_offset = timedelta(seconds=float(os.environ.get("CANCELFLOW_CLOCK_OFFSET_SECONDS", "0")))


def now() -> datetime:
    """The current business time, in UTC, to the millisecond (what we store)."""
    t = datetime.now(UTC) + _offset
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


def advance(delta: timedelta) -> datetime:
    """Move business time forward (local runtime and tests only)."""
    global _offset
    if delta < timedelta(0):
        raise ValueError("time only moves forward")
    _offset += delta
    return now()


def offset() -> timedelta:
    return _offset


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def iso(t: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a Z, the one format stored and returned."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)
