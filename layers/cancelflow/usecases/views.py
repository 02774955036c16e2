"""What the API shows of orders, requests and refunds: the answer models of the customer and
platform routes (the OpenAPI document is generated from these). Money in fen, ``currency``
CNY; times RFC 3339 UTC. Internal attributes (stock key ids, index keys) never leave."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from cancelflow.domain.models import Order
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.states import Actor, OrderStatus


class OrderOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    order_id: str
    product_id: str
    product_type: ProductType
    quantity: int
    amount: int = Field(description="fen")
    currency: str = "CNY"
    target: str | None = None
    status: OrderStatus = Field(description="as of now: an unpaid order past its deadline is cancelled")
    created_at: datetime
    payment_deadline: datetime
    paid_at: datetime | None = None
    payment_channel: Channel | None = None
    paid_amount: int = 0
    refunded_amount: int = 0
    delivered_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: Actor | None = None
    cancel_reason: str | None = None
    held: bool = Field(description="a cancellation request is under review; delivery waits")
    open_request_id: str | None = None

    @classmethod
    def of(cls, order: Order, now: datetime) -> Self:
        data = {k: getattr(order, k) for k in cls.model_fields if k not in ("status", "held")}
        return cls(**data, status=order.effective_status(now), held=order.held)


class RequestSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    request_id: str
    action: str
    reason_code: str
    status: str
    refund_to: str | None = None
    amount: int | None = None
    evidence: list[str] = Field(default_factory=list)
    appeal_used: bool = False
    created_at: datetime
    updated_at: datetime | None = None


class RefundSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    refund_id: str
    amount: int
    currency: str = "CNY"
    channel: str
    refund_to: str | None = None
    status: str
    reason: str | None = None
    request_id: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    sla_due_at: datetime | None = None
    overdue: bool = False


class CancellationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)
    open_request_id: str | None = None
    requests: list[RequestSummary]
    refunds: list[RefundSummary]


class OrderDetail(BaseModel):
    model_config = ConfigDict(frozen=True)
    order: OrderOut
    cancellation: CancellationSummary


class OrdersPage(BaseModel):
    model_config = ConfigDict(frozen=True)
    items: list[OrderOut]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    at: datetime
    event: str
    actor: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class Timeline(BaseModel):
    model_config = ConfigDict(frozen=True)
    order_id: str
    status: OrderStatus
    entries: list[TimelineEntry]
    refunds: list[RefundSummary]


class PlatformOrderOut(OrderOut):
    """What the platform's own services see of an order (the customer too)."""

    customer_id: str


class PaymentOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    payment_id: str
    applied: bool = Field(description="true: the order is paid; false: recorded and refunded in full")
    replayed: bool = Field(description="this payment id was seen before; nothing changed")
    refund_id: str | None = None
    order: PlatformOrderOut
