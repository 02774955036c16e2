"""Support confirms a lost payment: the provider took the money, its callback never came.
Applied through the payment notification's own path (``platform.record_payment`` ->
``store.payments.confirm_payment``), so it is applied exactly once per payment id whoever sends
it: a second confirmation (or the late callback itself) is a replay, a different amount or
channel under that id is PAYMENT_CONFLICT, and one that arrives for an order expired or
cancelled meanwhile is recorded and refunded in full. The history entry says support did it,
who, and the note."""

from __future__ import annotations

from datetime import datetime

from cancelflow.cancel.views import PaymentOut
from cancelflow.domain.products import Channel
from cancelflow.domain.states import Actor
from cancelflow.domain.support import require_note
from cancelflow.platform import record_payment


def confirm(
    order_id: str, payment_id: str, amount: int, channel: Channel, note: str, actor_id: str, now: datetime
) -> PaymentOut:
    return record_payment.record(
        order_id,
        payment_id,
        amount,
        channel,
        now,
        actor=Actor.SUPPORT,
        actor_id=actor_id,
        note=require_note(note),
    )
