"""Refund routes: support lists and retries refunds; the platform forwards provider callbacks.
``handler`` is the Lambda entry point (on the shared ``cancelflow.http`` base)."""

from __future__ import annotations

import base64
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from cancelflow import clock, telemetry
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http import context
from cancelflow.http.api import Api
from cancelflow.http.identity import PLATFORM, SUPPORT
from cancelflow.http.params import RefundIdPath
from cancelflow.refunds import notify as notify_uc
from cancelflow.refunds import support
from cancelflow.refunds.lifecycle import StaleRefund
from cancelflow.refunds.model import RefundStatus
from cancelflow.refunds.views import NotifyOut, RefundOut, RefundsPage, view

api = Api("refund")


@api.get("/v1/refunds", roles=SUPPORT, model=RefundsPage)
def list_refunds(
    status: Annotated[RefundStatus | None, Query(description="one status; none: every open status")] = None,
    overdue: Annotated[bool, Query(description="only refunds past their SLA")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RefundsPage:
    """Refunds by status (oldest first within each index shard), or the overdue ones."""
    items, nxt = support.list_refunds(status, overdue, cursor, limit, context.caller().sub)
    return RefundsPage(items=[view(r) for r in items], next_cursor=nxt)


@api.post(
    "/v1/refunds/{refund_id}/retry",
    roles=SUPPORT,
    model=RefundOut,
    errors=(ErrorCode.REFUND_NOT_FOUND, ErrorCode.REFUND_NOT_RETRYABLE, ErrorCode.CONFLICT),
)
def retry(refund_id: RefundIdPath) -> RefundOut:
    """Hand a refund that needs attention (or the customer's action, or failed) back to the worker."""
    return view(support.retry(refund_id, context.caller().sub, clock.now()))


@api.post(
    "/v1/platform/refunds/{refund_id}/notify",
    roles=PLATFORM,
    model=NotifyOut,
    errors=(ErrorCode.REFUND_NOT_FOUND, ErrorCode.NOTIFICATION_INVALID, ErrorCode.CONFLICT),
)
def notify(refund_id: RefundIdPath) -> NotifyOut:
    """A payment provider's refund callback, forwarded as received (headers and body): verified
    against the provider's signature, then applied once whatever the order of callbacks."""
    event = api.app.current_event.raw_event
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except ValueError as e:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "body"}) from e
    headers = {str(k): str(v) for k, v in (event.get("headers") or {}).items()}
    try:
        r, applied = notify_uc.handle(refund_id, headers, body, clock.now())
    except StaleRefund as e:
        raise DomainError(ErrorCode.CONFLICT, {"refund_id": refund_id}) from e
    if applied:
        _count_settled(r.channel.value, r.status)
    return NotifyOut(refund_id=r.refund_id, status=r.status, applied=applied)


def _count_settled(channel: str, status: RefundStatus) -> None:
    """Business metrics for a refund a callback moved (the refund worker counts its own the
    same way): ``refunds`` by channel and outcome, and the two states that need a person."""
    telemetry.count("refunds", channel=channel, outcome=status.value)
    if status in (RefundStatus.NEEDS_ATTENTION, RefundStatus.NEEDS_CUSTOMER_ACTION):
        telemetry.count(f"refunds_{status.value}")


handler = api.handler
