"""The payment service reports a payment. Idempotent per payment id; a payment that arrives
late, twice, or for a cancelled order is recorded and refunded in full (store.orders)."""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.cancel.views import PaymentOut, PlatformOrderOut
from cancelflow.domain.products import Channel
from cancelflow.store import payments


def record(order_id: str, payment_id: str, amount: int, channel: Channel, now: datetime) -> PaymentOut:
    result = payments.confirm_payment(order_id, payment_id, amount, channel, now)
    if result.refund_id and not result.replayed:
        dispatch.send_refund(result.refund_id)  # after the commit; the refund sweep covers a loss
    return PaymentOut(
        payment_id=payment_id,
        applied=result.applied,
        replayed=result.replayed,
        refund_id=result.refund_id,
        order=PlatformOrderOut.of(result.order, now),
    )
