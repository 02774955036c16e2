"""Payments: applying a payment notification to its order, idempotently per payment id.

Every payment that arrives is one of the order's ``trades`` (its id, channel and amount), written
with the order in the transaction that takes it in. A payment that cannot be applied (late,
duplicate, or not the order's amount) is recorded and refunded in full in the same transaction,
on the trade that brought it. ``Payment`` is the one definition of the record kept per payment
id (``PAY#<id>``): what is written and what a replay reads; its keys and ``type`` are added here
when writing and ignored when decoding.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from cancelflow.clock import iso
from cancelflow.domain.models import Order, Trade
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import ddb, keys, refunds
from cancelflow.store.codec import decode, plain
from cancelflow.store.orders import Change, expire_order, not_due, run

SK = "PAYMENT"


class PaymentOutcome(StrEnum):
    APPLIED = "applied"  # the order is paid by it
    REFUNDED = "refunded"  # taken in and refunded in full (late, duplicate or wrong amount)


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    """One payment notification as recorded, once per payment id."""

    payment_id: str
    order_id: str
    amount: Annotated[int, Meta(ge=0)]  # fen
    channel: Channel
    received_at: datetime
    outcome: PaymentOutcome
    refund_id: str | None = None  # the refund that gave it back (outcome ``refunded``)


class PaymentResult(msgspec.Struct, frozen=True):
    """What recording a payment did to its order."""

    order: Order
    applied: bool  # True: the order is now paid; False: recorded and refunded in full
    refund_id: str | None
    replayed: bool = False


def _payment_item(
    payment_id: str,
    order_id: str,
    amount: int,
    channel: Channel,
    now: datetime,
    outcome: PaymentOutcome,
    refund_id: str | None,
) -> dict[str, Any]:
    payment = Payment(
        payment_id=payment_id,
        order_id=order_id,
        amount=amount,
        channel=channel,
        received_at=now,
        outcome=outcome,
        refund_id=refund_id,
    )
    attrs = plain(msgspec.to_builtins(payment, builtin_types=(datetime,)))
    item = {"pk": keys.payment_pk(payment_id), "sk": SK, "type": "payment", **attrs}
    return {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def _same_payment(seen: Payment, payment_id: str, sent: dict[str, Any]) -> None:
    """A payment id names one payment: the same id with another order, amount or channel is not
    a replay of it but a conflict, answered with what is stored and what was sent."""
    stored = {"order_id": seen.order_id, "amount": seen.amount, "channel": seen.channel.value}
    if stored != sent:
        raise DomainError(
            ErrorCode.PAYMENT_CONFLICT, {"payment_id": payment_id, "stored": stored, "sent": sent}
        )


def confirm_payment(
    order_id: str,
    payment_id: str,
    amount: int,
    channel: Channel,
    now: datetime,
    *,
    actor: Actor | None = None,
    actor_id: str = "payment-service",
    note: str | None = None,
) -> PaymentResult:
    """Apply a payment notification. Idempotent per payment id (a replay is the same order,
    amount and channel; anything else under that id is PAYMENT_CONFLICT). A payment that cannot be
    applied (order cancelled, expired, already paid by another payment, or not the order's
    amount) is recorded and refunded in full, automatically: money that arrived is never
    refused or lost in silence.

    ``actor``, ``actor_id`` and ``note`` name who confirmed it when it is not the payment
    service's notification: support confirming a payment whose callback never came
    (``support.lost_payment``). The history entry says so; everything else is this same path."""
    by = {"note": note} if note is not None else {}
    payment_key, order_key = (keys.payment_pk(payment_id), SK), (keys.order_pk(order_id), keys.ORDER)
    for _attempt in range(3):
        # One read for both: the payment id (a replay answers without writing) and the order.
        found = ddb.batch_get([payment_key, order_key])
        raw = found.get(payment_key)
        seen = decode(Payment, raw) if raw is not None else None
        if seen is not None:
            _same_payment(
                seen, payment_id, {"order_id": order_id, "amount": amount, "channel": channel.value}
            )
        if order_key not in found:
            raise DomainError(ErrorCode.ORDER_NOT_FOUND, {"order_id": order_id})
        order = decode(Order, found[order_key])
        if seen is not None:
            return PaymentResult(order, seen.outcome is PaymentOutcome.APPLIED, seen.refund_id, True)
        try:
            if order.is_overdue_unpaid(now):
                expire_order(order, now)  # expired on every path, even before the sweep
                continue
            # Every payment that arrives becomes one of the order's trades, in the transaction
            # that takes it in: the trade a refund of that money goes back on.
            arrived = Trade(payment_id=payment_id, channel=channel, amount=amount)
            trades = (*order.trades, arrived)
            if order.status is OrderStatus.PENDING_PAYMENT and amount == order.amount:
                change = Change(
                    order,
                    OrderStatus.PAID,
                    "order.paid",
                    actor or Actor.PLATFORM,
                    actor_id,
                    now,
                    set_={
                        "paid_at": now,
                        "payment_id": payment_id,
                        "payment_channel": channel.value,
                        # added, not set: a refunded wrong-amount payment may have come first
                        "paid_amount": order.paid_amount + amount,
                        "trades": trades,
                    },
                    remove=not_due(),
                    condition="payment_deadline > :now",
                    cond_values={":now": iso(now)},
                    detail={"payment_id": payment_id, "channel": channel.value, "amount": amount, **by},
                )
                paid = run(
                    change,
                    [_payment_item(payment_id, order_id, amount, channel, now, PaymentOutcome.APPLIED, None)],
                )
                return PaymentResult(paid, True, None)
            # Late, duplicate or wrong-amount payment: take the money in and give it all back,
            # on the trade that brought it (its own payment id, channel and total), not on the
            # order's applied payment, which may be refunded already.
            reason = "late_payment" if order.status is not OrderStatus.PENDING_PAYMENT else "amount_mismatch"
            took = msgspec.structs.replace(order, paid_amount=order.paid_amount + amount, trades=trades)
            owed = refunds.owe(
                took,
                amount,
                refund_to=RefundTo.ORIGINAL,
                reason=reason,
                source="payment",
                now=now,
                payment_id=payment_id,
            )
            refund_id = owed.refund_id
            change = Change(
                order,
                None,
                "payment.late_refunded",
                actor or Actor.SYSTEM,
                actor_id,
                now,
                reason=reason,
                set_={
                    "paid_amount": took.paid_amount,
                    # the order's own payment fields name its applied payment (or the first one)
                    "payment_channel": order.payment_channel or channel,
                    "payment_id": order.payment_id or payment_id,
                    **owed.sets,
                },
                detail={"payment_id": payment_id, "amount": amount, "refund_id": refund_id, **by},
            )
            done = run(
                change,
                [
                    *owed.ops,
                    _payment_item(
                        payment_id, order_id, amount, channel, now, PaymentOutcome.REFUNDED, refund_id
                    ),
                ],
            )
            return PaymentResult(done, False, refund_id)
        except DomainError as e:
            if e.code != ErrorCode.CONFLICT:
                raise
            # lost a race (the same payment twice at once, or the order changed): look again
    raise DomainError(ErrorCode.CONFLICT, {"order_id": order_id})
