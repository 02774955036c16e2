"""What support does with refunds: list them by status (or the overdue ones), and hand one
that needs attention back to the worker."""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.errors import DomainError
from cancelflow.refunds import lifecycle
from cancelflow.refunds.model import RETRYABLE, Refund, RefundStatus
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, keys
from cancelflow.store.schema import GSI_STATUS

OPEN = tuple(s for s in RefundStatus if s is not RefundStatus.SUCCEEDED)


def list_refunds(
    status: RefundStatus | None, overdue: bool, cursor: str | None, limit: int, caller: str
) -> tuple[list[Refund], str | None]:
    """Walks the sparse by-status index partition by partition (status x shard), oldest first
    within each; the cursor says which partition and where in it, and is only good for this
    caller, these filters and this shard count (``codec.decode_cursor``)."""
    statuses = [status] if status else list(OPEN)
    parts = tuple(
        keys.status_pk("REFUND", s.value, n) for s in statuses for n in range(get_settings().status_shards)
    )
    name = f"refunds?status={status.value if status else ''}&overdue={overdue}"
    scope = codec.CursorScope(name, caller, GSI_STATUS, parts)
    pos = codec.decode_cursor(scope, cursor)
    p, start = pos.part, pos.start
    out: list[Refund] = []
    while p < len(parts) and len(out) < limit:
        items, last = ddb.query(
            GSI_STATUS,
            "status_pk = :p",
            {":p": parts[p], **({":t": True} if overdue else {})},
            limit=limit - len(out),
            start=start,
            filter_expression="overdue = :t" if overdue else None,
        )
        out += [Refund.from_item(i) for i in items]
        if last:
            start = last
        else:
            p, start = p + 1, None
    return out, (codec.encode_cursor(scope, start, p) if p < len(parts) else None)


def retry(refund_id: str, actor_id: str, now: datetime) -> Refund:
    """needs_attention / needs_customer_action / failed -> pending, failures reset, and the
    worker told (after the commit, like every step that creates work for it)."""
    r = lifecycle.get_refund(refund_id)
    if r is None:
        raise DomainError("REFUND_NOT_FOUND", {"refund_id": refund_id})
    if r.status not in RETRYABLE:
        raise DomainError("REFUND_NOT_RETRYABLE", {"status": r.status.value})
    try:
        pending = lifecycle.transition(
            r,
            RefundStatus.PENDING,
            now=now,
            actor="support",
            actor_id=actor_id,
            set_={"failures": 0, "next_attempt_at": now},
            remove=("lease_until",),
            reason="support_retry",
        )
    except lifecycle.StaleRefund as e:
        fresh = lifecycle.get_refund(refund_id)
        raise DomainError("CONFLICT", {"status": fresh.status.value if fresh else None}) from e
    dispatch.send_refund(refund_id)
    return pending
