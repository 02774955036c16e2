"""The refund lifecycle (DOMAIN.md, "Refunds"): which transitions exist and how one is written.

Every transition is ONE transaction of two items: the refund's update, conditional on the
status and version read (so it is decided against the stored state at the moment of
writing), and an entry in the order's history (the customer's timeline and the events
outbox). Nothing here calls a provider.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso
from cancelflow.refunds.model import Refund, RefundStatus
from cancelflow.settings import get_settings
from cancelflow.store import ddb, history, keys, refund_records

S = RefundStatus

ALLOWED: dict[RefundStatus, frozenset[RefundStatus]] = {
    S.PENDING: frozenset({S.PROCESSING, S.SUCCEEDED}),
    # processing -> processing: a new attempt after the lease ran out (worker died, or a poll)
    S.PROCESSING: frozenset(
        {S.PROCESSING, S.SUCCEEDED, S.FAILED, S.NEEDS_ATTENTION, S.NEEDS_CUSTOMER_ACTION}
    ),
    S.FAILED: frozenset({S.PROCESSING, S.SUCCEEDED, S.NEEDS_ATTENTION, S.NEEDS_CUSTOMER_ACTION, S.PENDING}),
    # The provider's word that the money moved is accepted in any state but succeeded:
    # a late callback must not be lost because support looked at the refund first.
    S.NEEDS_ATTENTION: frozenset({S.PENDING, S.SUCCEEDED}),
    S.NEEDS_CUSTOMER_ACTION: frozenset({S.PENDING, S.SUCCEEDED}),
    S.SUCCEEDED: frozenset(),
}

EVENTS: dict[RefundStatus, str] = {
    S.PENDING: "refund.retry_requested",
    S.PROCESSING: "refund.processing",
    S.SUCCEEDED: "refund.succeeded",
    S.FAILED: "refund.failed",
    S.NEEDS_ATTENTION: "refund.needs_attention",
    S.NEEDS_CUSTOMER_ACTION: "refund.needs_customer_action",
}

_TIMED = frozenset(RefundStatus(s) for s in refund_records.TIMED)  # sorted by next attempt


class StaleRefund(Exception):
    """The refund changed since it was read (another worker, a callback, support)."""


def get_refund(refund_id: str) -> Refund | None:
    item = ddb.get(keys.refund_pk(refund_id), "REFUND")
    return Refund.from_item(item) if item else None


def backoff(refund_id: str, failures: int) -> timedelta:
    """Exponential, capped, with a stable per-refund jitter (0.8x-1.2x) so a provider outage
    does not end in every refund retrying at the same second."""
    s = get_settings()
    base = min(s.refund_backoff_max_seconds, s.refund_backoff_seconds * 2 ** max(0, failures - 1))
    jitter = 0.8 + (zlib.crc32(f"{refund_id}:{failures}".encode()) % 401) / 1000
    return timedelta(seconds=round(base * jitter, 3))


def _status_entry(
    refund: Refund, status: RefundStatus, next_attempt_at: datetime, now: datetime
) -> dict[str, str]:
    """The by-status index entry: waiting refunds sort by when they are next due, others by
    when they got there."""
    at = next_attempt_at if status in _TIMED else now
    return refund_records.status_attrs(refund.refund_id, status.value, iso(at))


def _versioned_update(
    refund: Refund, changes: dict[str, Any], remove: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The refund's update, only if it is still the status and version that was read."""
    expr, names, vals = ddb.update_expression(changes, remove)
    return {
        "Key": ddb.key(keys.refund_pk(refund.refund_id), "REFUND"),
        "UpdateExpression": expr,
        "ConditionExpression": "#cs = :cs AND #cv = :cv",
        "ExpressionAttributeNames": names | {"#cs": "status", "#cv": "version"},
        "ExpressionAttributeValues": ddb.values(vals | {":cs": refund.status.value, ":cv": refund.version}),
    }


def transition_ops(
    refund: Refund,
    to: RefundStatus,
    *,
    now: datetime,
    actor: str,
    actor_id: str,
    set_: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    event: str | None = None,
) -> tuple[list[dict[str, Any]], Refund]:
    """The two writes of one transition, and the refund as it will be once they commit."""
    if to not in ALLOWED[refund.status]:
        raise ValueError(f"refund {refund.status.value} -> {to.value} is not a transition")
    version = refund.version + 1
    changes: dict[str, Any] = {"status": to, "version": version, "updated_at": now, **(set_ or {})}
    next_at = changes.get("next_attempt_at", refund.next_attempt_at)
    update = {"Update": _versioned_update(refund, changes | _status_entry(refund, to, next_at, now), remove)}
    entry = history.entry_put(
        refund.order_id,
        at=now,
        suffix=f"{refund.refund_id}#v{version:06d}",
        event=event or EVENTS[to],
        actor=actor,
        actor_id=actor_id,
        reason=reason,
        detail={
            "refund_id": refund.refund_id,
            "amount": refund.amount,
            "channel": refund.channel.value,
            "from_status": refund.status.value,
            "to_status": to.value,
            "attempts": changes.get("attempts", refund.attempts),
            **(detail or {}),
        },
    )
    after = refund.model_copy(update={k: v for k, v in changes.items() if k in Refund.model_fields})
    for k in remove:
        if k in Refund.model_fields:
            after = after.model_copy(update={k: None})
    return [update, entry], after


def transition(refund: Refund, to: RefundStatus, **kw: Any) -> Refund:
    """Commit one transition; ``StaleRefund`` if the refund changed since it was read."""
    ops, after = transition_ops(refund, to, **kw)
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed as e:
        # The update's condition, or the history entry of the same version already written
        # by whoever won: either way someone else moved the refund first.
        if any(r in ddb.LOST_RACE for r in e.reasons):
            raise StaleRefund(refund.refund_id) from e
        raise
    return after


def touch(refund: Refund, now: datetime, **sets: Any) -> Refund:
    """Not a transition: bookkeeping of a refund waiting on its provider (the next poll time),
    conditional on the version read like any write, without a history entry (a timeline that
    grew by one line per poll would bury what happened)."""
    version = refund.version + 1
    changes: dict[str, Any] = {"version": version, "updated_at": now, **sets}
    index = (
        _status_entry(refund, refund.status, changes["next_attempt_at"], now)
        if "next_attempt_at" in changes
        else {}
    )
    if ddb.update(_versioned_update(refund, changes | index)) is None:
        raise StaleRefund(refund.refund_id)
    return refund.model_copy(update={k: v for k, v in changes.items() if k in Refund.model_fields})
