"""A provider's refund callback: verify it, then apply it once, whatever the order of
callbacks and polls. "Succeeded" is applied as it comes (money that moved cannot un-move);
any other word is checked against a fresh query first, so a late or stale callback cannot
undo what a later attempt did."""

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
    result = note.result
    if result.outcome is not Outcome.SUCCEEDED:
        if r.status is RefundStatus.SUCCEEDED:
            return r, False
        result = provider.query(request_for(r), now)
        if result.outcome not in _FINAL:
            return r, False
    return results.record(r, result, now, actor_id=f"{provider.name}-notify")
