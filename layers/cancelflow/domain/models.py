"""The order as the domain sees it (docs/domain.md, "Order states").

``RiskProfile`` lives in ``domain/risk.py``; it is re-exported here for the modules that import
it from this one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.risk import RiskProfile as RiskProfile
from cancelflow.domain.states import Actor, OrderStatus

PAYMENT_TIMEOUT_REASON = "payment_timeout"


class Rejection(msgspec.Struct, frozen=True):
    """The rejection that stands on an order: written by the transaction that rejects a request,
    removed when an appeal against it is upheld; kept on the order so that its options cost no
    extra read. While it stands the same request is not asked anew: the way on is its appeal
    (the rule: ``domain/appeals.py``; docs/domain.md, "Appeals")."""

    request_id: str
    action: str  # as reviewed: a request that turned into an appeal counts as an appeal
    appeal_used: bool = False  # True: the appeal was decided too, the rejection is final


class Trade(msgspec.Struct, frozen=True):
    """One payment that reached the order (applied, late, duplicate or of the wrong amount), as
    the provider knows it: a refund goes back on ONE trade, with that trade's total (WeChat Pay's
    ``amount.total``) and never more than is left of it (docs/domain.md, "Refunds").

    A struct like the order (``store.codec.plain`` writes structs as maps), kept on the
    order item itself: the order's version condition then guards every trade's books with no
    extra read or item (docs/data-model.md)."""

    payment_id: str
    channel: Channel
    amount: Annotated[int, Meta(ge=0)]  # fen, this trade's total
    refunded: Annotated[int, Meta(ge=0)] = 0  # claimed by refunds created on it (balance ones too)

    @property
    def refundable(self) -> int:
        return max(0, self.amount - self.refunded)


# A refund is split over at most this many trades: each slice is one item of the transaction
# that owes it (DynamoDB's limit is 100 items, shared with stock keys, the request, the task...).
# Late, duplicate and wrong-amount payments are refunded in full when they arrive, so in practice
# only the applied trade has money left and an order-level refund is one slice.
MAX_REFUND_SLICES = 4


class Order(msgspec.Struct, frozen=True):
    """Decoded from a stored item by ``store.codec.decode`` (which checks the bounds)."""

    order_id: str
    customer_id: str
    product_id: str
    product_type: ProductType
    quantity: Annotated[int, Meta(ge=1)]
    amount: Annotated[int, Meta(ge=0)]  # fen
    status: OrderStatus
    version: Annotated[int, Meta(ge=1)]
    created_at: datetime
    payment_deadline: datetime
    currency: str = "CNY"
    target: str | None = None  # phone number or game account for top-ups
    # when the customer's account was opened, as the platform sent it with the order (None: not
    # sent); the auto-approval's account-age rule reads it (domain/auto_approval.py)
    customer_since: datetime | None = None
    paid_at: datetime | None = None
    payment_id: str | None = None
    payment_channel: Channel | None = None
    paid_amount: int = 0  # the sum of every trade's amount
    refunded_amount: int = 0  # reserved by every refund created, so refunded <= paid holds early
    # Every payment that arrived, in arrival order (``store.payments.confirm_payment``).
    trades: tuple[Trade, ...] = ()
    stock_locked: bool = False  # fulfilment has locked stock / submitted upstream
    key_ids: tuple[str, ...] = ()
    delivery_started_at: datetime | None = None
    delivered_at: datetime | None = None
    # When a delivered order counts as completed: the end of its confirmation window, fixed at
    # delivery from its product type's policy (as ``payment_deadline`` is at creation), so every
    # read and the completion sweep agree on the same instant (docs/domain.md, "Order states").
    confirmation_ends_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: Actor | None = None
    cancel_reason: str | None = None
    open_request_id: str | None = None  # a cancel/stop request under review holds the order
    # A stop-delivery of this delivering order asked fulfilment to abort, and fulfilment has not
    # answered yet: only its answer (aborted / delivered) settles the request (docs/domain.md,
    # "Stop delivery"). Set with the hold, removed by the answer.
    abort_requested_at: datetime | None = None
    rejection: Rejection | None = None
    # The version of its product type's policy the order was bought under (a hash of the values;
    # the policy itself is stored once per version): it judges the order for its whole life.
    policy_version: str | None = None

    def __post_init__(self) -> None:
        # An order stored before trades were recorded (or built without them) reads as ONE trade
        # holding all that was paid and refunded: exactly what its refunds were created with
        # before, so nothing stored breaks; the next write that changes its books stores it.
        if not self.trades and self.paid_amount > 0:
            legacy = Trade(
                payment_id=self.payment_id or self.order_id,
                channel=self.payment_channel or Channel.BALANCE,
                amount=self.paid_amount,
                refunded=self.refunded_amount,
            )
            object.__setattr__(self, "trades", (legacy,))

    def trade(self, payment_id: str) -> Trade | None:
        return next((t for t in self.trades if t.payment_id == payment_id), None)

    def refund_slices(self, amount: int, payment_id: str | None = None) -> tuple[tuple[Trade, int], ...]:
        """How a refund of ``amount`` falls on the trades: (trade, fen) pairs, each within what is
        left of its trade. ``payment_id``: on that trade only. Otherwise the applied trade first
        (the order's ``payment_id``), then the others in arrival order. Less than ``amount`` in
        all when the trades cannot cover it (the caller refuses that); never an empty slice."""
        if payment_id is not None:
            ordered = [t for t in self.trades if t.payment_id == payment_id]
        else:
            ordered = sorted(self.trades, key=lambda t: t.payment_id != self.payment_id)  # stable
        out: list[tuple[Trade, int]] = []
        left = amount
        for t in ordered:
            take = min(left, t.refundable)
            if take > 0:
                out.append((t, take))
                left -= take
        return tuple(out)

    def is_overdue_unpaid(self, now: datetime) -> bool:
        """Past its payment deadline while unpaid: expired on every path, swept or not."""
        return self.status is OrderStatus.PENDING_PAYMENT and now >= self.payment_deadline

    def is_past_confirmation(self, now: datetime) -> bool:
        """Delivered and its confirmation window ended: completed on every path, swept or not
        (lazy completion, as an unpaid order past its deadline is expired)."""
        return (
            self.status is OrderStatus.DELIVERED
            and self.confirmation_ends_at is not None
            and now >= self.confirmation_ends_at
        )

    def effective_status(self, now: datetime) -> OrderStatus:
        if self.is_overdue_unpaid(now):
            return OrderStatus.CANCELLED
        return OrderStatus.COMPLETED if self.is_past_confirmation(now) else self.status

    def as_of(self, now: datetime) -> Order:
        """The order as every read shows it at ``now``: past its confirmation window it is
        completed at the window's end, which is exactly what the completion sweep writes
        (``store.orders.complete_due``), so nothing shown changes when the sweep runs."""
        if not self.is_past_confirmation(now):
            return self
        return msgspec.structs.replace(
            self, status=OrderStatus.COMPLETED, completed_at=self.confirmation_ends_at
        )

    @property
    def refundable(self) -> int:
        """What may still be refunded: paid minus what refunds already claimed."""
        return max(0, self.paid_amount - self.refunded_amount)

    @property
    def held(self) -> bool:
        return self.open_request_id is not None
