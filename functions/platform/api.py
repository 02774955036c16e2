"""Platform intake (role ``platform``): how the order service, the payment service and
fulfilment drive orders through their states, on the lifecycle operations of
``cancelflow.store.orders``. ``handler`` is the Lambda entry point. Models are built on first use
(``cancelflow.http.fields.Model``) and order placement (stock reservation) loads on its first
call, so a cold start pays for the route it serves."""

from __future__ import annotations

from typing import Literal

from cancelflow import clock
from cancelflow.cancel.views import PaymentOut, PlatformOrderOut
from cancelflow.domain.products import Channel
from cancelflow.domain.stop_delivery import Upstream
from cancelflow.errors import ErrorCode
from cancelflow.http.api import Api
from cancelflow.http.fields import ExternalId, Fen, FreeText, JsonInt, Model
from cancelflow.http.identity import PLATFORM
from cancelflow.http.params import ORDER_ID_PATTERN, OrderIdPath
from cancelflow.platform import fulfil_order, record_payment  # (fulfil_order: FulfilmentStep)
from cancelflow.platform.fulfil_order import FulfilmentStep
from cancelflow.store.orders import MAX_QUANTITY
from pydantic import AwareDatetime, ConfigDict, Field

api = Api("platform")


class OrderIn(Model):
    model_config = ConfigDict(extra="forbid")
    customer_id: ExternalId
    product_id: ExternalId
    quantity: JsonInt = Field(default=1, ge=1, le=MAX_QUANTITY)
    target: FreeText | None = Field(default=None, max_length=64, description="phone number or game account")
    order_id: str | None = Field(
        default=None, pattern=ORDER_ID_PATTERN, description="to choose the id (else new): o_<20 hex digits>"
    )
    customer_since: AwareDatetime | None = Field(
        default=None,
        description="when the customer's account was opened (with its offset); absent: unknown. "
        "Auto-approval needs an account at least the policy's minimum age (docs/domain.md)",
    )


class PaymentIn(Model):
    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(pattern=ORDER_ID_PATTERN, description="o_<20 hex digits>")
    payment_id: ExternalId
    amount: Fen = Field(description="fen, a JSON integer")
    currency: Literal["CNY"] = "CNY"
    channel: Channel


class FulfilmentIn(Model):
    model_config = ConfigDict(extra="forbid")
    action: FulfilmentStep
    reason: FreeText | None = Field(default=None, max_length=200, description="why delivery failed")
    upstream: Upstream | None = Field(
        default=None,
        description="a top-up's answer to a stop: the upstream's word (required with `aborted` for "
        "mobile_topup; already_credited is the delivered answer)",
    )


@api.post(
    "/v1/platform/orders",
    roles=PLATFORM,
    status=201,
    errors=(
        ErrorCode.PRODUCT_NOT_FOUND,
        ErrorCode.OUT_OF_STOCK,
        ErrorCode.INVALID_QUANTITY,
        ErrorCode.CONFLICT,
    ),
)
def create_order(body: OrderIn) -> PlatformOrderOut:
    """Create an unpaid order and reserve its stock."""
    from cancelflow.platform import place_order  # this route's use case, loaded on its first call

    return place_order.place(
        body.customer_id,
        body.product_id,
        body.quantity,
        body.target,
        body.order_id,
        clock.now(),
        customer_since=body.customer_since,
    )


@api.post(
    "/v1/platform/payments",
    roles=PLATFORM,
    status=200,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.PAYMENT_CONFLICT, ErrorCode.CONFLICT),
)
def payment(body: PaymentIn) -> PaymentOut:
    """A payment notification; may arrive late, twice, for a cancelled order or with the wrong
    amount (then it is recorded and refunded in full: ``applied`` false, with the refund id)."""
    return record_payment.record(body.order_id, body.payment_id, body.amount, body.channel, clock.now())


@api.post(
    "/v1/platform/orders/{order_id}/fulfilment",
    roles=PLATFORM,
    status=200,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.ORDER_HELD,
        ErrorCode.COOLING_OFF,
        ErrorCode.ORDER_NOT_CANCELLABLE,
        ErrorCode.ABORT_NOT_REQUESTED,
        ErrorCode.CONFLICT,
    ),
)
def fulfilment(order_id: OrderIdPath, body: FulfilmentIn) -> PlatformOrderOut:
    """Fulfilment: ``start`` (refused while a request holds the order, and during the cooling-off
    after payment: COOLING_OFF with ``until``), ``complete``, ``fail``; and its answer to a
    stop-delivery (``abort_requested_at`` set): ``aborted`` (nothing went out: cancelled and
    refunded at once) or ``complete`` (the delivered answer; the request becomes an appeal)."""
    return fulfil_order.fulfil(order_id, body.action, body.reason, clock.now(), body.upstream)


@api.get(
    "/v1/platform/orders/{order_id}",
    roles=PLATFORM,
    errors=(ErrorCode.ORDER_NOT_FOUND,),
)
def platform_order(order_id: OrderIdPath) -> PlatformOrderOut:
    """One order as the platform's services see it; ``abort_requested_at``: fulfilment is asked
    to stop its delivery and must answer on the fulfilment route."""
    return fulfil_order.read(order_id, clock.now())


handler = api.handler
