"""Handing a refund whose destination could not receive it back to the worker with a new way to
pay it (docs/domain.md, "Refund recovery"): the one write behind the customer's fix
(cancel/fix_refund.py) and support's switch with the customer's recorded consent
(refunds/support.py). From ``needs_customer_action`` only, the state in which the provider's
last word is that it did not pay, so moving the money elsewhere cannot pay it twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow import dispatch
from cancelflow.domain import refund_recovery
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.refund_recovery import Fix
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund
from cancelflow.store.refunds.cards import Card


def not_offered(r: Refund, fix: Fix) -> DomainError:
    offered = refund_recovery.fixes(r.status, r.channel)
    return DomainError(
        ErrorCode.REFUND_FIX_NOT_OFFERED,
        {
            "fix": fix.value,
            "status": r.status.value,
            "channel": r.channel.value,
            "offered": [f.value for f in offered],
        },
    )


def hand_back(
    r: Refund,
    choice: Fix,
    *,
    actor: str,
    actor_id: str,
    now: datetime,
    card: Card | None = None,
    detail: dict[str, Any] | None = None,
) -> Refund:
    """``r`` back to pending with ``choice`` (and the new ``card``), in one write conditional on
    ``r`` as read; the worker is told after the commit. A racing hand-back, retry or provider
    word wins or loses by that condition: the loser is told what is stored."""
    if choice not in refund_recovery.fixes(r.status, r.channel):
        raise not_offered(r, choice)
    if (choice is Fix.NEW_CARD) != (card is not None):
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "card", "fix": choice.value})
    sets: dict[str, object] = {"failures": 0, "next_attempt_at": now}
    if choice is Fix.TO_BALANCE:
        sets |= {"channel": Channel.BALANCE, "refund_to": RefundTo.BALANCE, "switched_from": r.channel}
    try:
        pending = lifecycle.transition(
            r,
            RefundStatus.PENDING,
            now=now,
            actor=actor,
            actor_id=actor_id,
            set_=sets,
            remove=("lease_until",),
            reason=f"{actor}_{choice.value}",
            event="refund.destination_fixed",
            detail={
                "fix": choice.value,
                **({"to_channel": "balance"} if choice is Fix.TO_BALANCE else {}),
                **(detail or {}),
            },
            card=card,
        )
    except StaleRefund as e:
        fresh = lifecycle.get_refund(r.refund_id)
        if fresh is not None and choice not in refund_recovery.fixes(fresh.status, fresh.channel):
            raise not_offered(fresh, choice) from e
        raise DomainError(ErrorCode.CONFLICT, {"status": fresh.status.value if fresh else None}) from e
    dispatch.send_refund(r.refund_id)
    return pending
