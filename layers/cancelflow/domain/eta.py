"""When a refund is expected to arrive, per channel, from the time it would start: what the
options answer shows before the customer asks (the original channel, and balance as the
alternative remedy). The times are the refund SLA's (docs/domain.md, "Refund SLA and overdue")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cancelflow.domain import refund_sla
from cancelflow.domain.calendar import CST_DESCRIPTION, cst_display
from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy, PolicyBook
from cancelflow.domain.products import Channel, RefundTo


@dataclass(frozen=True)
class RefundEta:
    """When a refund to one channel is expected and when it is overdue (its SLA)."""

    channel: Channel
    expected_by: datetime
    due_by: datetime
    expected_by_cst: str = field(metadata={"description": CST_DESCRIPTION})


def refund_eta(
    order: Order, start: datetime, policy: CancellationPolicy, book: PolicyBook
) -> tuple[RefundEta, ...]:
    channels = [order.payment_channel or Channel.BALANCE]
    if Channel.BALANCE not in channels:
        channels.append(Channel.BALANCE)
    return tuple(eta_on(ch, start, policy, book) for ch in channels)


def refund_channel(order: Order, refund_to: RefundTo) -> Channel:
    """The channel a refund of ``order`` goes to: the original payment's, or balance when asked."""
    if refund_to is RefundTo.BALANCE:
        return Channel.BALANCE
    return order.payment_channel or Channel.BALANCE


def eta_on(channel: Channel, start: datetime, policy: CancellationPolicy, book: PolicyBook) -> RefundEta:
    """A refund on ``channel`` that starts at ``start``: when expected, and when overdue."""
    sla = policy.refund_sla[channel]
    expected = refund_sla.expected_at(sla, start, book.calendar)
    return RefundEta(
        channel=channel,
        expected_by=expected,
        due_by=refund_sla.due_at(sla, start, book.calendar),
        expected_by_cst=cst_display(expected),
    )
