"""A refund as support and the platform see it over HTTP (never the provider credentials,
never the refund number's provider-side secrets: only ids, amounts, states and times)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from cancelflow.domain.products import Channel
from cancelflow.http.fields import Model
from cancelflow.store.refunds import Refund, RefundStatus


class RefundOut(Model):
    refund_id: str
    order_id: str
    customer_id: str
    amount: int = Field(description="fen")
    currency: str
    channel: Channel
    status: RefundStatus
    attempts: int
    failures: int
    overdue: bool
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    sla_due_at: datetime
    succeeded_at: datetime | None = Field(default=None, description="when the platform learnt it")
    settled_at: datetime | None = Field(
        default=None, description="when the money moved, as the provider states it (if it did)"
    )
    provider_status: str | None = None
    provider_ref: str | None = Field(
        default=None, description="the provider's id of the refund (Alipay trade_no, WeChat refund_id)"
    )
    last_error: str | None = None
    chased_at: datetime | None = Field(default=None, description="when its customer last chased it (催办)")
    chases: int = 0
    switched_from: Channel | None = Field(
        default=None, description="the channel its customer gave up for their balance"
    )


class RefundsPage(Model):
    """One page of a list, in the shape every list of the API has."""

    items: list[RefundOut]
    next_cursor: str | None = Field(
        default=None, description="pass as ?cursor= for the next page (opaque; none: the last page)"
    )


class NotifyOut(Model):
    refund_id: str
    status: RefundStatus
    applied: bool = Field(description="false: already known (a duplicate or late callback)")


class ProviderRefusal(Model):
    """What a payment provider is told when its callback is refused, in its own dialect
    (WeChat Pay's documented failure answer; it sends the callback again later)."""

    code: str = Field(description="FAIL")
    message: str


def view(r: Refund) -> RefundOut:
    return RefundOut.model_validate(r, from_attributes=True)
