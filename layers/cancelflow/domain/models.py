"""The order as the domain sees it (docs/domain.md, "Order states").

``RiskProfile`` lives in ``domain/risk.py``; it is re-exported here for the modules that import
it from this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from msgspec import Meta

from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.risk import RiskProfile as RiskProfile
from cancelflow.domain.states import Actor, OrderStatus

PAYMENT_TIMEOUT_REASON = "payment_timeout"


@dataclass(frozen=True)
class Rejection:
    """The rejection that stands on an order: written by the transaction that rejects a request,
    removed when an appeal against it is upheld; kept on the order so that its options cost no
    extra read. While it stands the same request is not asked anew: the way on is its appeal
    (the rule: ``domain/appeals.py``; docs/domain.md, "Appeals")."""

    request_id: str
    action: str  # as reviewed: a request that turned into an appeal counts as an appeal
    appeal_used: bool = False  # True: the appeal was decided too, the rejection is final


@dataclass(frozen=True)
class Order:
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
    paid_at: datetime | None = None
    payment_id: str | None = None
    payment_channel: Channel | None = None
    paid_amount: int = 0
    refunded_amount: int = 0  # reserved by every refund created, so refunded <= paid holds early
    stock_locked: bool = False  # fulfilment has locked stock / submitted upstream
    key_ids: tuple[str, ...] = ()
    delivery_started_at: datetime | None = None
    delivered_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: Actor | None = None
    cancel_reason: str | None = None
    open_request_id: str | None = None  # a cancel/stop request under review holds the order
    rejection: Rejection | None = None

    def is_overdue_unpaid(self, now: datetime) -> bool:
        """Past its payment deadline while unpaid: expired on every path, swept or not."""
        return self.status is OrderStatus.PENDING_PAYMENT and now >= self.payment_deadline

    def effective_status(self, now: datetime) -> OrderStatus:
        return OrderStatus.CANCELLED if self.is_overdue_unpaid(now) else self.status

    @property
    def refundable(self) -> int:
        """What may still be refunded: paid minus what refunds already claimed."""
        return max(0, self.paid_amount - self.refunded_amount)

    @property
    def held(self) -> bool:
        return self.open_request_id is not None
