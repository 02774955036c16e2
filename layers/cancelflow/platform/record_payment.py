"""The payment service reports a payment. Idempotent per payment id; a payment that arrives
late, twice, or for a cancelled order is recorded and refunded in full (store.orders)."""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.cancel.views import PaymentOut, PlatformOrderOut
from cancelflow.domain.products import Channel
from cancelflow.domain.states import Actor
from cancelflow.store import payments


def record(
    order_id: str,
    payment_id: str,
    amount: int,
    channel: Channel,
    now: datetime,
    *,
    actor: Actor | None = None,
    actor_id: str = "payment-service",
    note: str | None = None,
) -> PaymentOut:
    """Apply one payment (the payment service's notification, or support confirming a lost one:
    ``actor``, ``actor_id``, ``note``; see ``store.payments.confirm_payment``) and hand a refund
    of money that could not be applied to the refund worker."""
    result = payments.confirm_payment(
        order_id, payment_id, amount, channel, now, actor=actor, actor_id=actor_id, note=note
    )
    if result.refund_id and not result.replayed:
        dispatch.send_refund(result.refund_id)  # after the commit; the refund sweep covers a loss
    return PaymentOut(
        payment_id=payment_id,
        applied=result.applied,
        replayed=result.replayed,
        refund_id=result.refund_id,
        order=PlatformOrderOut.of(result.order, now),
    )
