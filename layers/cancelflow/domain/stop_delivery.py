"""Stop-delivery as a handshake with fulfilment (docs/domain.md, "Stop delivery").

A stop-delivery of a delivering order does not cancel it: it asks fulfilment to abort, and
only fulfilment knows whether the value went out. Its answer decides the request:
``aborted`` (nothing went out: cancelled and refunded in full, no reviewer) or ``delivered``
(its ``complete``: the request becomes an appeal). This module is the rule; the writes are
``store/aborts.py`` and ``store/orders/lifecycle.py``, the use case ``platform/abort_answer.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.products import ProductType
from cancelflow.domain.states import OrderStatus


class Upstream(StrEnum):
    """What the mobile operator (the upstream of a top-up) says of the credit, as fulfilment
    relays it with its answer: never sent, taken back, or already on the phone."""

    NOT_SUBMITTED = "not_submitted"
    REVERSED = "reversed"
    ALREADY_CREDITED = "already_credited"


# The words that mean nothing reached the customer: only these make an answer `aborted`.
NOTHING_WENT_OUT = frozenset({Upstream.NOT_SUBMITTED, Upstream.REVERSED})


def asks_abort(order: Order) -> bool:
    """A hold on this order (a stop-delivery, or an appeal against a rejection made while it is
    delivering) must ask fulfilment to abort: delivery is under way, so neither a reviewer nor
    the customer can know whether the value moved."""
    return order.status is OrderStatus.DELIVERING


def abort_answer_due(policy: CancellationPolicy, now: datetime) -> datetime:
    """When an unanswered abort escalates its review task and is asked again."""
    return now + timedelta(minutes=policy.abort_answer_minutes)


def upstream_required(order: Order) -> bool:
    """A top-up's abort answer must carry the upstream's word: an operator's credit cannot be
    recalled by the platform, so `aborted` without it would be fulfilment's guess."""
    return order.product_type is ProductType.MOBILE_TOPUP


def means_delivered(upstream: Upstream | None) -> bool:
    """An `aborted` answer whose upstream says the credit is on the phone is the `delivered`
    answer: the value moved."""
    return upstream is not None and upstream not in NOTHING_WENT_OUT
