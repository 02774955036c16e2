"""The refund lifecycle (docs/domain.md, "Refunds"): which transitions exist, and what each one
records in the order's history.

Every transition is ONE transaction of two items (``cancelflow.store.refunds.transition``): the
refund's update, conditional on the status and version read (so it is decided against the
stored state at the moment of writing), and an entry in the order's history (the customer's
timeline and the events outbox). Nothing here calls a provider.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import refunds
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund
from cancelflow.store.refunds.cards import Card

__all__ = ["ALLOWED", "EVENTS", "S", "StaleRefund", "backoff", "get_refund", "touch", "transition"]

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


def get_refund(refund_id: str) -> Refund | None:
    return refunds.get(refund_id)


def require_refund(refund_id: str, order_id: str | None = None, customer_id: str | None = None) -> Refund:
    """The refund, else REFUND_NOT_FOUND; one of another order (or another customer's, when
    ``order_id`` / ``customer_id`` are given) is not found either."""
    r = refunds.get(refund_id)
    if (
        r is None
        or (order_id is not None and r.order_id != order_id)
        or (customer_id is not None and r.customer_id != customer_id)
    ):
        raise DomainError(ErrorCode.REFUND_NOT_FOUND, {"refund_id": refund_id})
    return r


def backoff(refund_id: str, failures: int) -> timedelta:
    """Exponential, capped, with a stable per-refund jitter (0.8x-1.2x) so a provider outage
    does not end in every refund retrying at the same second."""
    s = get_settings()
    base = min(s.refund_backoff_max_seconds, s.refund_backoff_seconds * 2 ** max(0, failures - 1))
    jitter = 0.8 + (zlib.crc32(f"{refund_id}:{failures}".encode()) % 401) / 1000
    return timedelta(seconds=round(base * jitter, 3))


def transition(
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
    card: Card | None = None,
) -> Refund:
    """Commit one transition (with the customer's new ``card`` kept in its transaction);
    ``StaleRefund`` if the refund changed since it was read."""
    if to not in ALLOWED[refund.status]:
        raise ValueError(f"refund {refund.status.value} -> {to.value} is not a transition")
    changes = set_ or {}
    return refunds.transition(
        refund,
        to,
        now=now,
        changes=changes,
        remove=remove,
        event=event or EVENTS[to],
        card=card,
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
            # the provider's id of the refund, once it has one: the customer's notice quotes it
            **({"provider_ref": changes["provider_ref"]} if changes.get("provider_ref") else {}),
            **(detail or {}),
        },
    )


def touch(refund: Refund, now: datetime, **sets: Any) -> Refund:
    """Not a transition: bookkeeping of a refund waiting on its provider (the next poll time),
    conditional on the version read like any write, without a history entry (a timeline that
    grew by one line per poll would bury what happened)."""
    return refunds.touch(refund, now=now, changes=sets)
