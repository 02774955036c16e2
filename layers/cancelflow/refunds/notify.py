"""A provider's refund callback: verify it (signature, serial, freshness, WeChat's encrypted
resource: the provider's client does that), check it is about this refund (number, amount,
trade), then apply it once, whatever the order of callbacks and polls. "Succeeded" is applied
as it comes (money that moved cannot un-move); any other word is checked against a fresh query
first, so a late or stale callback cannot undo what a later attempt did.

``answer`` is what the provider must be told: WeChat Pay documents 200/204 with no body for
"received" and a 4xx/5xx with ``{"code": "FAIL", "message": ...}`` for "send it again"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle, results
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import for_channel
from cancelflow.refunds.providers.base import InvalidNotification
from cancelflow.refunds.worker import request_for
from cancelflow.store.refunds import Refund, RefundStatus

_FINAL = frozenset({Outcome.SUCCEEDED, Outcome.ACCOUNT_CLOSED, Outcome.FINAL_FAILURE})


def handle(refund_id: str, headers: Mapping[str, str], body: bytes, now: datetime) -> tuple[Refund, bool]:
    """(the refund after the callback, whether the callback changed it)."""
    r = lifecycle.get_refund(refund_id)
    if r is None:
        raise DomainError(ErrorCode.REFUND_NOT_FOUND, {"refund_id": refund_id})
    provider = for_channel(r.channel)
    try:
        note = provider.verify_notification(headers, body, now)
    except InvalidNotification as e:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": str(e)}) from e
    if note.refund_no != r.refund_no:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "refund_no"})
    if note.amount is not None and note.amount != r.amount:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "amount"})
    if note.trade_no is not None and note.trade_no != (r.payment_id or r.order_id):
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "trade"})
    result = note.result
    if result.outcome is not Outcome.SUCCEEDED:
        if r.status is RefundStatus.SUCCEEDED:
            return r, False
        result = provider.query(request_for(r), now)
        if result.outcome not in _FINAL:
            return r, False
    return results.record(r, result, now, actor_id=f"{provider.name}-notify")


def answer(accepted: bool, reason: str = "") -> tuple[int, dict[str, str] | None]:
    """(HTTP status, body) to give the provider for a callback: received (it stops resending),
    or refused (it resends on its schedule). WeChat Pay's documented answers; the acquirer
    contract uses the same."""
    if accepted:
        return 204, None
    return 400, {"code": "FAIL", "message": reason or "invalid"}
