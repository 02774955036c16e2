"""Creating a refund record (its lifecycle after creation belongs to the refund step).

A refund is always created in the same transaction as the change that owes it, and that
transaction also raises the order's ``refunded_amount`` under a version condition, so the
sum of refunds can never exceed what was paid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys
from cancelflow.store.codec import new_id

PENDING = "pending"
SUCCEEDED = "succeeded"
# States a sweep looks for by time: their by-status sort key is the next attempt time, so
# "due now" is one range query per shard (status_sk <= now).
TIMED = ("pending", "failed", "processing")


def status_attrs(refund_id: str, status: str, created_at: str) -> dict[str, str]:
    """The sparse by-status index entry: refunds by status, oldest first, sharded."""
    shard_no = keys.shard(refund_id, get_settings().status_shards)
    return {"status_pk": keys.status_pk("REFUND", status, shard_no), "status_sk": f"{created_at}#{refund_id}"}


def refund_channel(order: Order, refund_to: RefundTo) -> Channel:
    if refund_to is RefundTo.BALANCE or order.payment_channel is None:
        return Channel.BALANCE
    return order.payment_channel


def new_refund_put(
    order: Order,
    *,
    amount: int,
    refund_to: RefundTo,
    reason: str,
    source: str,
    now: datetime,
    request_id: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """(refund id, the Put). Caller adds ``amount`` to the order's refunded_amount in the same
    transaction; ``check_refundable`` must have passed."""
    s = get_settings()
    refund_id = new_id("rf")
    channel = refund_channel(order, refund_to)
    policy = s.policies.for_type(order.product_type)
    due = policy.refund_sla[channel].due_by(now, s.policies.calendar)
    created = iso(now)
    item = {
        "pk": keys.refund_pk(refund_id),
        "sk": "REFUND",
        "type": "refund",
        "refund_id": refund_id,
        # The provider's idempotency key (Alipay out_request_no, WeChat out_refund_no): fixed
        # at creation, reused by every attempt, so no retry can pay twice.
        "refund_no": refund_id.replace("_", ""),
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "payment_id": order.payment_id,
        "paid_amount": order.paid_amount,  # the trade's total (WeChat Pay's amount.total)
        "amount": amount,
        "currency": order.currency,
        "channel": channel.value,
        "refund_to": refund_to.value,
        "reason": reason,
        "source": source,
        "request_id": request_id,
        "status": PENDING,
        "attempts": 0,
        "created_at": created,
        "updated_at": created,
        "sla_due_at": iso(due),
        "next_attempt_at": created,
        "overdue": False,
        "version": 1,
        **status_attrs(refund_id, PENDING, created),
        "due_pk": keys.due_pk("REFUND", keys.shard(refund_id, s.due_shards)),
        "due_at": iso(due),
    }
    return refund_id, {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def check_refundable(order: Order, amount: int) -> None:
    if amount <= 0 or amount > order.refundable:
        raise DomainError(
            "AMOUNT_INVALID" if order.refundable else "NOTHING_TO_REFUND",
            {"field": "amount", "max_amount": order.refundable},
        )
