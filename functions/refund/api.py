"""Refund routes: support lists and retries refunds; the platform forwards provider callbacks.
Support's stock routes live here too: the keys a cancellation quarantined (list, release, void)
and a product's stock counts; and support's tools on one order (a lost payment confirmed, a
staff cancel: docs/domain.md, "Support's tools"). ``handler`` is the Lambda entry point (on the shared
``cancelflow.http`` base).

Cold start: a route is registered when a request first matches it (``cancelflow.http.api``), and
the modules only some routes name are bound with ``cancelflow.deferred.lazy`` (the type checker
reads the plain imports), the routes' own body models in ``cancelflow.refunds.api_models``: a
cold start imports what the route it serves uses."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Annotated, Literal

from cancelflow import clock, telemetry
from cancelflow.deferred import lazy
from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http import context
from cancelflow.http.api import Api
from cancelflow.http.identity import PLATFORM, SUPPORT
from cancelflow.http.params import (
    KeyIdPath,
    OrderIdPath,
    Path,
    ProductIdPath,
    Query,
    RefundIdPath,
    Response,
)
from cancelflow.refunds import support
from cancelflow.refunds.lifecycle import StaleRefund
from cancelflow.refunds.model import RefundStatus
from cancelflow.refunds.views import NotifyOut, ProviderRefusal, RefundOut, RefundsPage, view

if TYPE_CHECKING:
    from cancelflow.cancel import views as cancel_views
    from cancelflow.refunds import api_models as models
    from cancelflow.refunds import notify as notify_uc
    from cancelflow.stock import quarantine
    from cancelflow.stock import views as stock_views
    from cancelflow.support import lost_payment, staff_cancel
else:  # the same modules, each imported when a route first reads one of its names
    cancel_views = lazy("cancelflow.cancel.views")
    models = lazy("cancelflow.refunds.api_models")
    notify_uc = lazy("cancelflow.refunds.notify")
    quarantine = lazy("cancelflow.stock.quarantine")
    stock_views = lazy("cancelflow.stock.views")
    lost_payment = lazy("cancelflow.support.lost_payment")
    staff_cancel = lazy("cancelflow.support.staff_cancel")

api = Api("refund")

# The providers that send refund callbacks (Alipay answers a refund synchronously; balance is
# our own ledger).
CallbackChannel = Literal["wechat_pay", "bank_card"]


@api.get("/v1/refunds", roles=SUPPORT)
def list_refunds(
    status: Annotated[RefundStatus | None, Query(description="one status; none: every open status")] = None,
    overdue: Annotated[bool, Query(description="only refunds past their SLA")] = False,
    chased: Annotated[
        bool, Query(description="only overdue refunds their customer chased (催办): take these first")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RefundsPage:
    """Refunds by status (oldest first within each index shard), or the overdue or chased ones."""
    items, nxt = support.list_refunds(status, overdue, cursor, limit, context.caller().sub, chased=chased)
    return RefundsPage(items=[view(r) for r in items], next_cursor=nxt)


@api.post(
    "/v1/orders/{order_id}/manual-refunds",
    roles=SUPPORT,
    status=201,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.REFUND_NOT_FOUND,
        ErrorCode.MANUAL_REFUND_REFUSED,
        ErrorCode.NOTHING_TO_REFUND,
        ErrorCode.AMOUNT_INVALID,
        ErrorCode.CONFLICT,
    ),
)
def manual_refund(order_id: OrderIdPath, body: models.ManualRefundIn) -> models.ManualRefundOut:
    """Record a refund paid outside the system, once per reference.

    It counts against what is left to refund (over the limit: NOTHING_TO_REFUND /
    AMOUNT_INVALID with the most allowed), or closes the open refund it replaces (the same
    amount; refused when that refund's provider paid it, is paying it or cannot say)."""
    from cancelflow.refunds import manual  # this route's use case, loaded on its first call
    from cancelflow.store.refunds import Manual

    done = manual.record(
        order_id,
        amount=body.amount,
        manual=Manual(channel=Channel(body.channel), reference=body.reference, note=body.note),
        replaces=body.replaces_refund_id,
        actor_id=context.caller().sub,
        now=clock.now(),
    )
    return models.ManualRefundOut(
        order_id=order_id, replayed=done.replayed, refunds=[view(r) for r in done.refunds]
    )


@api.post(
    "/v1/refunds/{refund_id}/switch-to-balance",
    roles=SUPPORT,
    errors=(ErrorCode.REFUND_NOT_FOUND, ErrorCode.REFUND_FIX_NOT_OFFERED, ErrorCode.CONFLICT),
)
def switch_to_balance(refund_id: RefundIdPath, body: models.SwitchIn) -> RefundOut:
    """Pay a refund the customer's account cannot receive (needs_customer_action) to their balance
    instead, with their consent recorded (where, and a note); the same hand-back as their own fix."""
    done = support.switch_to_balance(refund_id, context.caller().sub, body.consent, body.note, clock.now())
    return view(done)


@api.post(
    "/v1/refunds/{refund_id}/retry",
    roles=SUPPORT,
    errors=(ErrorCode.REFUND_NOT_FOUND, ErrorCode.REFUND_NOT_RETRYABLE, ErrorCode.CONFLICT),
)
def retry(refund_id: RefundIdPath) -> RefundOut:
    """Hand a refund that needs attention (or the customer's action, or failed) back to the worker."""
    return view(support.retry(refund_id, context.caller().sub, clock.now()))


@api.post(
    "/v1/platform/refunds/{refund_id}/notify",
    roles=PLATFORM,
    errors=(ErrorCode.REFUND_NOT_FOUND, ErrorCode.NOTIFICATION_INVALID, ErrorCode.CONFLICT),
)
def notify(refund_id: RefundIdPath) -> NotifyOut:
    """A payment provider's refund callback, forwarded by the platform as received (headers and
    body): verified against the provider's signature, then applied once whatever the order of
    callbacks."""
    headers, body = _received()
    try:
        r, applied = notify_uc.handle(refund_id, headers, body, clock.now())
    except StaleRefund as e:
        raise DomainError(ErrorCode.CONFLICT, {"refund_id": refund_id}) from e
    if applied:
        _count_settled(r.channel.value, r.status)
    return NotifyOut(refund_id=r.refund_id, status=r.status, applied=applied)


@api.post(
    "/v1/providers/{channel}/refunds/notify",
    roles=(),
    public=True,
    status=204,
    own_errors={400: ProviderRefusal, 500: ProviderRefusal},
)
def provider_notify(
    channel: Annotated[CallbackChannel, Path(description="the provider that sends refund callbacks")],
) -> Response[str]:
    """A payment provider's refund callback, straight from the provider to the ``notify_url``
    we gave it (no token: the provider's signature is the authentication). Answered in the
    provider's dialect: 204 received; 400 ``{"code": "FAIL"}`` for one that does not verify or
    is not about one of our refunds; 500 ``FAIL`` for one to send again later."""
    try:
        headers, body = _received()
        r, applied = notify_uc.handle_callback(Channel(channel), headers, body, clock.now())
    except DomainError as e:
        return _provider_answer(*notify_uc.answer(False, str(e.details.get("reason") or e.code.value)))
    except StaleRefund:
        return _provider_answer(*notify_uc.answer(False, "busy", transient=True))
    if applied:
        _count_settled(r.channel.value, r.status)
    return _provider_answer(*notify_uc.answer(True))


def _received() -> tuple[dict[str, str], bytes]:
    event = api.app.current_event.raw_event
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except ValueError as e:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "body"}) from e
    return {str(k): str(v) for k, v in (event.get("headers") or {}).items()}, body


def _provider_answer(status: int, doc: dict[str, str] | None) -> Response[str]:
    if doc is None:
        return Response(status_code=status, body="")
    return Response(status_code=status, content_type="application/json", body=json.dumps(doc))


def _count_settled(channel: str, status: RefundStatus) -> None:
    """Business metrics for a refund a callback moved (the refund worker counts its own the
    same way): ``refunds`` by channel and outcome, and the two states that need a person."""
    telemetry.count("refunds", channel=channel, outcome=status.value)
    if status in (RefundStatus.NEEDS_ATTENTION, RefundStatus.NEEDS_CUSTOMER_ACTION):
        telemetry.count(f"refunds_{status.value}")


# ---------------------------------------------------------------- stock (docs/domain.md, "Quarantine")


_SETTLE_ERRORS = (ErrorCode.KEY_NOT_FOUND, ErrorCode.KEY_NOT_QUARANTINED, ErrorCode.CONFLICT)


@api.get("/v1/stock/quarantine", roles=SUPPORT)
def list_quarantined(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> stock_views.QuarantinePage:
    """Quarantined card keys (oldest first within each index shard), each with the cancelled
    order it came from and since when."""
    items, nxt = quarantine.list_quarantined(cursor, limit, context.caller().sub)
    return stock_views.QuarantinePage(items=[stock_views.StockKeyOut.of(k) for k in items], next_cursor=nxt)


@api.get("/v1/stock/products/{product_id}", roles=SUPPORT, errors=(ErrorCode.PRODUCT_NOT_FOUND,))
def product_stock(product_id: ProductIdPath) -> stock_views.StockOut:
    """A keyed product's stock by status: available, reserved, quarantined, delivered, voided."""
    return stock_views.StockOut(
        product_id=product_id, stock=stock_views.StockCounts(**quarantine.counts(product_id))
    )


@api.post(
    "/v1/stock/products/{product_id}/keys/{key_id}/release",
    roles=SUPPORT,
    errors=_SETTLE_ERRORS,
)
def release_key(
    product_id: ProductIdPath, key_id: KeyIdPath, body: models.SettleIn
) -> stock_views.StockKeyOut:
    """Release a quarantined key to stock (``available``: the next order may get it), with a
    reason; a key that is not quarantined (any more) is KEY_NOT_QUARANTINED with its status."""
    from cancelflow.domain.quarantine import Settlement

    k = quarantine.settle(
        product_id, key_id, Settlement.RELEASE, body.reason, context.caller().sub, clock.now()
    )
    return stock_views.StockKeyOut.of(k)


@api.post(
    "/v1/stock/products/{product_id}/keys/{key_id}/void",
    roles=SUPPORT,
    errors=_SETTLE_ERRORS,
)
def void_key(product_id: ProductIdPath, key_id: KeyIdPath, body: models.SettleIn) -> stock_views.StockKeyOut:
    """Void a quarantined key (``voided``: never sold again), with a reason; a key that is not
    quarantined (any more) is KEY_NOT_QUARANTINED with its status."""
    from cancelflow.domain.quarantine import Settlement

    who, now = context.caller().sub, clock.now()
    return stock_views.StockKeyOut.of(
        quarantine.settle(product_id, key_id, Settlement.VOID, body.reason, who, now)
    )


# ---------------------------------------------------------------- support's tools (docs/domain.md)


@api.post(
    "/v1/orders/{order_id}/lost-payments",
    roles=SUPPORT,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.PAYMENT_CONFLICT, ErrorCode.CONFLICT),
)
def confirm_lost_payment(order_id: OrderIdPath, body: models.LostPaymentIn) -> cancel_views.PaymentOut:
    """Confirm a payment the provider took whose callback never came: applied as the payment
    notification would be, once per payment id (again: ``replayed``; another amount or channel
    under that id: PAYMENT_CONFLICT); one for an order expired or cancelled meanwhile is
    recorded and refunded in full. The order's history says support did it, who and the note."""
    who, now = context.caller().sub, clock.now()
    return lost_payment.confirm(order_id, body.payment_id, body.amount, body.channel, body.note, who, now)


@api.post(
    "/v1/orders/{order_id}/staff-cancel",
    roles=SUPPORT,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.ORDER_CANCELLED,
        ErrorCode.ORDER_NOT_CANCELLABLE,
        ErrorCode.ORDER_EXPIRED,
        ErrorCode.CANCELLATION_IN_PROGRESS,
        ErrorCode.CONFLICT,
    ),
)
def staff_cancel_order(order_id: OrderIdPath, body: models.StaffCancelIn) -> models.StaffCancelOut:
    """Cancel an order for a stock error, fraud or a supplier's failure: a paid order refunded in
    full to its original channel, its keys back to stock or voided (``restock``; those of an
    order whose delivery started stay quarantined unless voided). Cancelled already:
    ORDER_CANCELLED; delivered or completed: ORDER_NOT_CANCELLABLE (after-sales); held by an
    open request: CANCELLATION_IN_PROGRESS."""
    now = clock.now()
    done, refund_ids = staff_cancel.cancel(
        order_id, body.reason, body.note, body.restock, context.caller().sub, now
    )
    return models.StaffCancelOut(
        order=cancel_views.PlatformOrderOut.of(done, now), refund_ids=list(refund_ids)
    )


handler = api.handler
