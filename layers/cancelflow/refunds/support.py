"""What support does with refunds: list them by status (or the overdue or chased ones), hand
one that needs attention back to the worker, or switch one the customer's account cannot receive
to their balance with their recorded consent."""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain.refund_recovery import Fix
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import destination, lifecycle
from cancelflow.refunds.model import RETRYABLE
from cancelflow.store import refunds
from cancelflow.store.refunds import OPEN, Refund, RefundStatus

__all__ = ["OPEN", "list_refunds", "retry", "switch_to_balance"]


def list_refunds(
    status: RefundStatus | None,
    overdue: bool,
    cursor: str | None,
    limit: int,
    caller: str,
    *,
    chased: bool = False,
) -> tuple[list[Refund], str | None]:
    """One page of refunds in ``status`` (none: every open one), oldest first per index
    partition (``chased``: only those their customer chased, support's first queue); the cursor
    is only good for this caller and these filters."""
    return refunds.page(status, overdue, cursor, limit, caller, chased=chased)


def retry(refund_id: str, actor_id: str, now: datetime) -> Refund:
    """needs_attention / needs_customer_action / failed -> pending, failures reset, and the
    worker told (after the commit, like every step that creates work for it)."""
    r = lifecycle.require_refund(refund_id)
    if r.status not in RETRYABLE:
        raise DomainError(ErrorCode.REFUND_NOT_RETRYABLE, {"status": r.status.value})
    try:
        pending = lifecycle.transition(
            r,
            RefundStatus.PENDING,
            now=now,
            actor="support",
            actor_id=actor_id,
            set_={"failures": 0, "next_attempt_at": now},
            remove=("lease_until",),
            reason="support_retry",
        )
    except lifecycle.StaleRefund as e:
        fresh = lifecycle.get_refund(refund_id)
        raise DomainError(ErrorCode.CONFLICT, {"status": fresh.status.value if fresh else None}) from e
    dispatch.send_refund(refund_id)
    return pending


def switch_to_balance(refund_id: str, actor_id: str, consent: str, note: str, now: datetime) -> Refund:
    """The customer agreed (on a call, in a chat: ``consent`` is where it is recorded) to take a
    refund their account could not receive as balance: the same hand-back as their own fix."""
    r = lifecycle.require_refund(refund_id)
    return destination.hand_back(
        r,
        Fix.TO_BALANCE,
        actor="support",
        actor_id=actor_id,
        now=now,
        detail={"consent": consent, "note": note},
    )
