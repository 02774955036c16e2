"""What support does with refunds: list them by status (or the overdue ones), and hand one
that needs attention back to the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow import dispatch
from cancelflow.errors import DomainError
from cancelflow.refunds import lifecycle
from cancelflow.refunds.model import RETRYABLE, Refund, RefundStatus
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, keys
from cancelflow.store.schema import GSI_STATUS

OPEN = tuple(s for s in RefundStatus if s is not RefundStatus.SUCCEEDED)


def list_refunds(
    status: RefundStatus | None, overdue: bool, cursor: str | None, limit: int
) -> tuple[list[Refund], str | None]:
    """Walks the sparse by-status index partition by partition (status x shard), oldest first
    within each; the cursor says which partition and where in it."""
    statuses = [status] if status else list(OPEN)
    parts = [(s, n) for s in statuses for n in range(get_settings().status_shards)]
    pos = codec.decode_cursor(cursor) or {"p": 0}
    if not isinstance(pos.get("p"), int):
        raise DomainError("VALIDATION_FAILED", {"field": "cursor"})
    p: int = pos["p"]
    start: dict[str, Any] | None = pos.get("k")
    out: list[Refund] = []
    while p < len(parts) and len(out) < limit:
        st, shard = parts[p]
        items, last = ddb.query(
            GSI_STATUS,
            "status_pk = :p",
            {":p": keys.status_pk("REFUND", st.value, shard), **({":t": True} if overdue else {})},
            limit=limit - len(out),
            start=start,
            filter_expression="overdue = :t" if overdue else None,
        )
        out += [Refund.from_item(i) for i in items]
        if last:
            start = last
        else:
            p, start = p + 1, None
    more = p < len(parts)
    return out, (codec.encode_cursor({"p": p, "k": start}) if more else None)


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
