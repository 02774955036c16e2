"""The append-only history of an order: one item per change, never updated or deleted.

It is also the outbox: each entry names its ``event`` and the stream publisher turns entries
into domain events (docs/events.md), so a state change and its event are one write. The
customer's timeline shows every entry (``cancelflow.cancel.timeline``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.store import ddb, keys
from cancelflow.store.codec import decode, plain


class HistoryEvent(StrEnum):
    """What happened: one code per kind of entry in an order's history (its timeline).

    order.created, order.paid, order.cancelled, order.expired (unpaid past its deadline),
    order.completed; delivery.started, delivery.completed, delivery.failed,
    delivery.abort_requested (a stop-delivery asked fulfilment to abort: docs/domain.md, "Stop
    delivery"); payment.late_refunded
    (a payment that could not be applied, refunded in full); cancellation.requested,
    cancellation.appealed (against a rejection), request.withdrawn (by its customer, before a
    decision); review.task_created, review.claimed (a reviewer
    took the request up), review.decided (approved or rejected), review.need_info (a reviewer's
    question), review.info_supplied (the customer's answer), review.converted_to_appeal
    (delivered meanwhile), review.escalated (overdue); refund.processing, refund.accepted,
    refund.succeeded, refund.failed (retried), refund.needs_attention,
    refund.needs_customer_action, refund.retry_requested (by support), refund.destination_fixed (by the
    customer: the account confirmed, a new card, or balance instead), refund.overdue,
    refund.chased (催办, by the customer), refund.manual_recorded (support paid it outside the
    system: a refund recorded succeeded, or an open one closed by it);
    support.replied (support's message in a request's or refund's conversation),
    support.answer_overdue (the customer's message waited past the answer window: docs/domain.md,
    "Conversations"); stock.key_released, stock.key_voided (support decided a key quarantined by the order's
    cancellation: docs/domain.md, "Quarantine"; not shown in the customer's timeline)."""

    ORDER_CREATED = "order.created"
    ORDER_PAID = "order.paid"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_EXPIRED = "order.expired"
    ORDER_COMPLETED = "order.completed"
    DELIVERY_STARTED = "delivery.started"
    DELIVERY_COMPLETED = "delivery.completed"
    DELIVERY_FAILED = "delivery.failed"
    DELIVERY_ABORT_REQUESTED = "delivery.abort_requested"
    PAYMENT_LATE_REFUNDED = "payment.late_refunded"
    CANCELLATION_REQUESTED = "cancellation.requested"
    CANCELLATION_APPEALED = "cancellation.appealed"
    REQUEST_WITHDRAWN = "request.withdrawn"
    REVIEW_TASK_CREATED = "review.task_created"
    REVIEW_CLAIMED = "review.claimed"
    REVIEW_DECIDED = "review.decided"
    REVIEW_NEED_INFO = "review.need_info"
    REVIEW_INFO_SUPPLIED = "review.info_supplied"
    REVIEW_CONVERTED_TO_APPEAL = "review.converted_to_appeal"
    REVIEW_ESCALATED = "review.escalated"
    REFUND_PROCESSING = "refund.processing"
    REFUND_ACCEPTED = "refund.accepted"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    REFUND_NEEDS_ATTENTION = "refund.needs_attention"
    REFUND_NEEDS_CUSTOMER_ACTION = "refund.needs_customer_action"
    REFUND_RETRY_REQUESTED = "refund.retry_requested"
    REFUND_OVERDUE = "refund.overdue"
    REFUND_CHASED = "refund.chased"
    REFUND_DESTINATION_FIXED = "refund.destination_fixed"
    REFUND_MANUAL_RECORDED = "refund.manual_recorded"
    SUPPORT_REPLIED = "support.replied"
    SUPPORT_ANSWER_OVERDUE = "support.answer_overdue"
    KEY_RELEASED = "stock.key_released"
    KEY_VOIDED = "stock.key_voided"


def history_sk(at: datetime, suffix: str) -> str:
    """Time-ordered; ``suffix`` makes it unique (``v000003`` for order versions)."""
    return f"HIST#{iso(at)}#{suffix}"


def entry_put(
    order_id: str,
    *,
    at: datetime,
    suffix: str,
    event: str,
    actor: str,
    actor_id: str,
    reason: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Put that only succeeds once for this entry (so a replay cannot append twice). The
    entry is built as an ``Entry`` first, the one definition that is also read back, so a kind
    of entry the timeline does not document (``event`` must be a ``HistoryEvent``), an unknown
    actor or status is refused here, at the writer, rather than breaking a timeline later."""
    sk = history_sk(at, suffix)
    entry = msgspec.convert(
        {
            "order_id": order_id,
            "entry_id": f"{order_id}:{sk}",
            "at": at,
            "event": event,
            "actor": actor,
            "actor_id": actor_id,
            "reason": reason,
            "from_status": from_status,
            "to_status": to_status,
            "detail": plain(detail or {}),
        },
        Entry,
        builtin_types=(datetime,),
    )
    attrs = plain(msgspec.to_builtins(entry, builtin_types=(datetime,)))
    item = {"pk": keys.order_pk(order_id), "sk": sk, "type": "history", **attrs}
    return {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One stored history entry. ``detail`` holds the facts of its kind of step (request,
    refund, task ids, amounts, a question, ...): free-form by design, each reader picks what it
    may show (``cancelflow.cancel.timeline``)."""

    order_id: str
    entry_id: str
    at: datetime
    event: HistoryEvent
    actor: Actor
    actor_id: str
    reason: str | None = None
    from_status: OrderStatus | None = None  # order changes only
    to_status: OrderStatus | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


def of_item(item: ddb.Item) -> Entry:
    return decode(Entry, item)


def of_stream_image(image: Mapping[str, Any]) -> Entry:
    """A history entry from a DynamoDB stream record's ``NewImage`` (the outbox publisher's
    input); raises ``msgspec.ValidationError`` for an image that is not a stored entry."""
    return of_item(ddb.from_item(image))


def timeline(order_id: str) -> list[Entry]:
    """Every entry of the order, in time order."""
    return [of_item(i) for i in ddb.partition(keys.order_pk(order_id), "HIST#")]
