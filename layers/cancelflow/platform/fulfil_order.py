"""Fulfilment reports progress: ``start`` (locks stock; refused while a request holds the
order), ``complete`` (value moved), ``fail`` (back to paid), and answers a stop-delivery:
``aborted`` (nothing went out) or its ``complete`` (the `delivered` answer). While an abort is
requested a ``fail`` is the `aborted` answer: delivery did not happen (docs/domain.md, "Stop
delivery")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from cancelflow.cancel.views import PlatformOrderOut
from cancelflow.domain.stop_delivery import Upstream
from cancelflow.platform import abort_answer
from cancelflow.store import orders


class FulfilmentStep(StrEnum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    ABORTED = "aborted"


def fulfil(
    order_id: str,
    step: FulfilmentStep,
    reason: str | None,
    now: datetime,
    upstream: Upstream | None = None,
) -> PlatformOrderOut:
    if step is FulfilmentStep.START:
        order = orders.start_delivery(order_id, now)
    elif step is FulfilmentStep.COMPLETE:
        order = orders.complete_delivery(order_id, now, upstream.value if upstream else None)
    elif step is FulfilmentStep.ABORTED or orders.require_order(order_id).abort_requested_at:
        order = abort_answer.aborted(order_id, upstream, now)
    else:
        order = orders.fail_delivery(order_id, now, reason or "fulfilment_failed")
    return PlatformOrderOut.of(order, now)


def read(order_id: str, now: datetime) -> PlatformOrderOut:
    """The order as fulfilment polls it (an abort it may have missed on the bus shows here)."""
    return PlatformOrderOut.of(orders.require_order(order_id), now)
