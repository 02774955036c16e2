"""Cancelling an order: by its customer before payment, by the system past the payment
deadline, or with its refund once paid, auto-approved or after review
(docs/domain.md, "Cancellation paths"), or by support (docs/domain.md, "Support's tools").
Each is one ``Change``, its stock released (or voided, support deciding) with it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from cancelflow.clock import iso
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
from cancelflow.domain.products import KEYED_TYPES, RefundTo
from cancelflow.domain.quarantine import quarantines_keys
from cancelflow.domain.states import VALUE_MOVED, Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import refunds, stock
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
    void_keys: bool = False,
) -> Order:
    """Every cancellation: the order cancelled (by whom, when, why; stock unlocked) with
    ``sets`` besides, its reserved keys released (quarantined, once it reached delivering: the
    history entry names them; or, ``void_keys``, voided: support's staff cancel) and ``extra``
    written, in one transaction."""
    keyed = order.product_type in KEYED_TYPES and bool(order.key_ids)
    voided = void_keys and keyed
    quarantined = not voided and quarantines_keys(order) and keyed
    keys_ops = (
        [stock.void_op(order.product_id, k, order.order_id, now) for k in order.key_ids]
        if voided
        else release_ops(order, now)
    )
    named = {"voided_keys": list(order.key_ids)} if voided else {}
    if quarantined:
        named = {"quarantined_keys": list(order.key_ids)}
    change = Change(
        order,
        OrderStatus.CANCELLED,
        event,
        actor,
        actor_id,
        now,
        reason=reason,
        set_=_cancel_sets(now, actor, reason) | (sets or {}),
        # a cancelled order is asked nothing more of fulfilment (docs/domain.md, "Stop delivery")
        remove=[*remove, *(["abort_requested_at"] if order.abort_requested_at else [])],
        condition=condition,
        cond_values=cond_values,
        detail={**(detail or {}), **named},
    )
    return run(change, keys_ops + (extra or []))


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
    detail: dict[str, Any] | None = None,
    void_keys: bool = False,
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
        detail={**(detail or {}), **owed.named(), "amount": amount, "request_id": request_id},
        extra=[*(extra or []), *owed.ops],
        void_keys=void_keys,
    )
    return done, owed.refund_ids


def staff_cancel(
    order: Order, now: datetime, *, actor_id: str, reason: str, note: str, void_keys: bool
) -> tuple[Order, tuple[str, ...]]:
    """Support cancels an order (docs/domain.md, "Support's tools": stock error, fraud, supplier
    failure): the same cancellation as every other, with actor support, the reason and note in
    its history entry; a paid order refunded in full to its original channel (one refund per
    trade with money left); its reserved keys back to stock, or voided (``void_keys``). Keys of
    an order that reached delivering are quarantined unless voided, never put back on sale.

    Refused, changing nothing: a cancelled order (ORDER_CANCELLED: a second staff cancel); a
    delivered or completed one (ORDER_NOT_CANCELLABLE: after-sales); one held by an open
    request (CANCELLATION_IN_PROGRESS: review decides it); an unpaid one past its deadline
    (ORDER_EXPIRED). A race with any other change (the customer's own cancel) is the version
    condition of the write: one wins, the other is CONFLICT."""
    if order.status is OrderStatus.CANCELLED:
        raise DomainError(ErrorCode.ORDER_CANCELLED, {"status": order.status.value})
    if order.status in VALUE_MOVED:
        raise DomainError(
            ErrorCode.ORDER_NOT_CANCELLABLE, {"status": order.status.value, "why": "after_sales"}
        )
    if order.held:
        raise DomainError(ErrorCode.CANCELLATION_IN_PROGRESS, {"request_id": order.open_request_id})
    detail = {"note": note, "restock": "void" if void_keys else "stock"}
    if order.status is OrderStatus.PENDING_PAYMENT:
        if order.is_overdue_unpaid(now):
            raise DomainError(ErrorCode.ORDER_EXPIRED)
        done = _cancel(
            order,
            now,
            "order.cancelled",
            Actor.SUPPORT,
            actor_id,
            reason,
            remove=not_due(),
            condition="payment_deadline > :now AND attribute_not_exists(open_request_id)",
            cond_values={":now": iso(now)},
            detail={**detail, "amount": 0},
            void_keys=void_keys,
        )
        return done, ()
    return cancel_with_refunds(
        order,
        now,
        actor=Actor.SUPPORT,
        actor_id=actor_id,
        reason=reason,
        refund_to=RefundTo.ORIGINAL,
        condition="attribute_not_exists(open_request_id)",
        detail=detail,
        void_keys=void_keys,
    )
