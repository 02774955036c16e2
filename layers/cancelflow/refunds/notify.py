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

from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle, results
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import for_channel
from cancelflow.refunds.providers.base import InvalidNotification, Notification, Provider
from cancelflow.refunds.worker import request_for
from cancelflow.store.refunds import Refund, RefundStatus, refund_id_of

_FINAL = frozenset({Outcome.SUCCEEDED, Outcome.ACCOUNT_CLOSED, Outcome.FINAL_FAILURE})


def handle(refund_id: str, headers: Mapping[str, str], body: bytes, now: datetime) -> tuple[Refund, bool]:
    """A callback forwarded by the platform for ``refund_id``: (the refund after it, whether it
    changed the refund)."""
    r = lifecycle.require_refund(refund_id)
    provider = for_channel(r.channel)
    note = _verified(provider, headers, body, now)
    if note.refund_no != r.refund_no:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "refund_no"})
    return _apply(r, note, provider, now)


def handle_callback(
    channel: Channel, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[Refund, bool]:
    """A callback as the provider sends it, to the one URL we give it (WeChat's ``notify_url``
    carries no parameters): verified first, then the refund found by the number inside it."""
    provider = for_channel(channel)
    note = _verified(provider, headers, body, now)
    refund_id = refund_id_of(note.refund_no)
    r = lifecycle.get_refund(refund_id) if refund_id else None
    if r is None or r.channel is not channel or r.refund_no != note.refund_no:
        # Signed by the provider yet not about one of its refunds of ours: never applied.
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": "unknown refund"})
    return _apply(r, note, provider, now)


def _verified(provider: Provider, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
    try:
        return provider.verify_notification(headers, body, now)
    except InvalidNotification as e:
        raise DomainError(ErrorCode.NOTIFICATION_INVALID, {"reason": str(e)}) from e


def _apply(r: Refund, note: Notification, provider: Provider, now: datetime) -> tuple[Refund, bool]:
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


def answer(accepted: bool, reason: str = "", *, transient: bool = False) -> tuple[int, dict[str, str] | None]:
    """(HTTP status, body) to give the provider for a callback: received (it stops resending),
    or refused (it resends on its schedule): 400 for a callback that does not verify or is not
    about one of our refunds, 500 for one we could not apply now (a concurrent change). WeChat
    Pay's documented answers; the acquirer contract uses the same."""
    if accepted:
        return 204, None
    return (500 if transient else 400), {"code": "FAIL", "message": reason or "invalid"}
