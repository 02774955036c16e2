"""Order states and the transitions between them (docs/domain.md, "Order states")."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Actor(StrEnum):
    CUSTOMER = "customer"
    SYSTEM = "system"
    REVIEWER = "reviewer"
    PLATFORM = "platform"
    SUPPORT = "support"


S = OrderStatus

# The only transitions any write path may perform. A delivered or completed order never
# becomes cancelled: value has moved, so remedies are refunds, not cancellation.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.DELIVERING, S.CANCELLED}),
    S.DELIVERING: frozenset({S.DELIVERED, S.PAID, S.CANCELLED}),  # PAID: delivery failed
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


# Value has moved (key shown, top-up succeeded): remedies are refunds, never cancellation.
VALUE_MOVED = frozenset({S.DELIVERED, S.COMPLETED})


def can_transition(src: OrderStatus, dst: OrderStatus) -> bool:
    return dst in TRANSITIONS[src]
