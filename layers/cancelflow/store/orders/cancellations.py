"""Cancelling an order: by its customer before payment, by the system past the payment
deadline, or with its refund once paid, auto-approved or after review
(docs/domain.md, "Cancellation paths"). Each is one ``Change``, its stock released with it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cancelflow.clock import iso
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
from cancelflow.domain.products import KEYED_TYPES, RefundTo
from cancelflow.domain.quarantine import quarantines_keys
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import refunds
from cancelflow.store.orders.changes import Change, Op, not_due, release_ops, run

if TYPE_CHECKING:  # an annotation only: domain.options loads every eligibility rule and the policy
    pass


def _cancel_sets(now: datetime, actor: Actor, reason: str) -> dict[str, Any]:
    return {"cancelled_at": now, "cancelled_by": actor.value, "cancel_reason": reason, "stock_locked": False}


def _cancel(
    order: Order,
    now: datetime,
    event: str,
    actor: Actor,
    actor_id: str,
    reason: str,
    *,
    remove: list[str],
    condition: str,
    cond_values: dict[str, Any],
    sets: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    extra: list[Op] | None = None,
) -> Order:
    """Every cancellation: the order cancelled (by whom, when, why; stock unlocked) with
    ``sets`` besides, its reserved keys released (quarantined, once it reached delivering: the
    history entry names them) and ``extra`` written, in one transaction."""
    quarantined = quarantines_keys(order) and order.product_type in KEYED_TYPES and order.key_ids
    change = Change(
        order,
        OrderStatus.CANCELLED,
        event,
        actor,
        actor_id,
        now,
        reason=reason,
        set_=_cancel_sets(now, actor, reason) | (sets or {}),
        remove=remove,
        condition=condition,
        cond_values=cond_values,
        detail={**(detail or {}), **({"quarantined_keys": list(order.key_ids)} if quarantined else {})},
    )
    return run(change, release_ops(order, now) + (extra or []))


def self_cancel(order: Order, now: datetime, reason: str = "changed_mind") -> Order:
    """Unpaid order cancelled by its customer at once; stock released, nothing to refund."""
    if order.is_overdue_unpaid(now):
        raise DomainError(ErrorCode.ORDER_EXPIRED)
    if order.status is not OrderStatus.PENDING_PAYMENT:
        # A paid order is never cancelled without its refund (cancel_with_refunds does that).
        raise DomainError(
            ErrorCode.ORDER_CANCELLED if order.status is OrderStatus.CANCELLED else ErrorCode.ALREADY_PAID,
            {"status": order.status.value},
        )
    return _cancel(
        order,
        now,
        "order.cancelled",
        Actor.CUSTOMER,
        order.customer_id,
        reason,
        remove=not_due(),
        condition="payment_deadline > :now",
        cond_values={":now": iso(now)},
    )


def expire_order(order: Order, now: datetime) -> Order:
    """The system cancels an unpaid order past its deadline (reason ``payment_timeout``)."""
    if not order.is_overdue_unpaid(now):
        raise DomainError(ErrorCode.CONFLICT, {"status": order.status.value})
    return _cancel(
        order,
        now,
        "order.expired",
        Actor.SYSTEM,
        "expiry",
        PAYMENT_TIMEOUT_REASON,
        remove=not_due(),
        condition="payment_deadline <= :now",
        cond_values={":now": iso(now)},
    )


def cancel_with_refunds(
    order: Order,
    now: datetime,
    *,
    actor: Actor,
    actor_id: str,
    reason: str,
    refund_to: RefundTo,
    amount: int | None = None,
    request_id: str | None = None,
    event: str = "order.cancelled",
    extra: list[dict[str, Any]] | None = None,
    condition: str = "",
    cond_values: dict[str, Any] | None = None,
) -> tuple[Order, tuple[str, ...]]:
    """Cancel a paid (or delivering, undelivered) order and create its refunds in one
    transaction: full unless ``amount`` says less, one refund per trade it falls on (the
    applied trade first: ``refunds.owe``). Returns (order, refund ids, the applied trade's
    first; none when nothing was left to refund)."""
    amount = order.refundable if amount is None else amount
    owed = refunds.Owed()
    if amount > 0:
        owed = refunds.owe(
            order,
            amount,
            refund_to=refund_to,
            reason=reason,
            source=actor.value,
            now=now,
            request_id=request_id,
        )
    done = _cancel(
        order,
        now,
        event,
        actor,
        actor_id,
        reason,
        sets=owed.sets,
        remove=["open_request_id"],
        condition=condition,
        cond_values=cond_values or {},
        detail={**owed.named(), "amount": amount, "request_id": request_id},
        extra=[*(extra or []), *owed.ops],
    )
    return done, owed.refund_ids
