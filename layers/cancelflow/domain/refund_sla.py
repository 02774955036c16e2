"""The refund SLA and the overdue rule (docs/domain.md, "Refund SLA and overdue"), in one place.

- A refund's SLA is set once, when it is created: its channel's ``RefundSla`` (configuration,
  ``domain/policy.py``, per product type) counted from the creation time, in minutes or in
  business days of the business calendar (docs/domain.md, "Time and the business calendar").
- A refund is overdue once its SLA has passed and it has not succeeded. A succeeded refund is
  never overdue, whenever it succeeded: the money has moved, nobody needs to chase it.
- Overdue is a flag, raised once by the schedule (``sweeps/refunds.py``); it is not a status, so
  the refund's lifecycle goes on unchanged.

Pure: no I/O, no settings. The store writes re-check the same rule against the stored refund
(``store/refunds/writes.py``,
``overdue_ops``) because a worker may have moved it since it was read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # policy imports nothing from here, but keep the rule free of its imports
    from cancelflow.domain.calendar import BusinessCalendar
    from cancelflow.domain.policy import CancellationPolicy, RefundSla
    from cancelflow.domain.products import Channel


def due_at(sla: RefundSla, start: datetime, calendar: BusinessCalendar) -> datetime:
    """When a refund started at ``start`` on a channel with this SLA becomes overdue."""
    if sla.sla_business_days is not None:
        return calendar.add_business_days(start, sla.sla_business_days)
    assert sla.sla_minutes is not None  # RefundSla requires exactly one of the two
    return start + timedelta(minutes=sla.sla_minutes)


def expected_at(sla: RefundSla, start: datetime, calendar: BusinessCalendar) -> datetime:
    """When the money is expected to arrive (shown to the customer; not a deadline)."""
    if sla.expected_business_days is not None:
        return calendar.add_business_days(start, sla.expected_business_days)
    return start + timedelta(minutes=sla.expected_minutes)


def due_for_new_refund(
    policy: CancellationPolicy, channel: Channel, created_at: datetime, calendar: BusinessCalendar
) -> datetime:
    """The SLA of a refund created now: its product type's SLA for its channel."""
    return due_at(policy.refund_sla[channel], created_at, calendar)


def is_overdue(*, due: datetime, succeeded: bool, now: datetime) -> bool:
    """Overdue: the SLA has passed (``due <= now``) and the refund has not succeeded."""
    return not succeeded and due <= now
