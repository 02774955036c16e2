"""Fulfilment reports progress: ``start`` (locks stock; refused while a request holds the
order), ``complete`` (value moved), ``fail`` (back to paid)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from cancelflow.cancel.views import PlatformOrderOut
from cancelflow.store import orders


class FulfilmentStep(StrEnum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"


def fulfil(order_id: str, step: FulfilmentStep, reason: str | None, now: datetime) -> PlatformOrderOut:
    if step is FulfilmentStep.START:
        order = orders.start_delivery(order_id, now)
    elif step is FulfilmentStep.COMPLETE:
        order = orders.complete_delivery(order_id, now)
    else:
        order = orders.fail_delivery(order_id, now, reason or "fulfilment_failed")
    return PlatformOrderOut.of(order, now)
