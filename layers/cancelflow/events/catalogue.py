"""The domain events the platform can subscribe to: one versioned schema each.

Published to the ``cancelflow`` bus, ``source = "cancelflow"``, ``detail-type`` = its name; the
``detail``'s common fields (``schema_version``, ``event_id`` to de-duplicate on, who acted and
why): ``EventDetail`` below, and docs/events.md.

The schemas are msgspec Structs, not pydantic models: the stream publisher validates and
encodes every event with them, and without pydantic its cold start is ~40 ms shorter. The JSON
Schemas in docs/events.md are generated from these classes (cancelflow.events.schemas, through
pydantic, which only the document and the tests import); a test keeps the document and the
code equal. A field is ``Annotated[type, Meta(...)]`` for its bounds and description; a subclass
repeats ``frozen=True`` (for type checkers) and ``kw_only=True`` (msgspec applies it per class) so
its required fields may follow inherited defaulted ones. Every field is always sent (null if unused).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct

from cancelflow.domain.states import Actor

SOURCE = "cancelflow"
SCHEMA_VERSION = "1.0"

DateTime = Annotated[str, Meta(description="RFC 3339, UTC", extra_json_schema={"format": "date-time"})]


class EventDetail(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What every event's ``detail`` holds."""

    # history ``detail`` key for each event field whose name differs (event field -> history key)
    RENAMED: ClassVar[dict[str, str]] = {}

    schema_version: Annotated[Literal["1.0"], Meta(description="major.minor of this schema")] = "1.0"
    event_id: Annotated[str, Meta(description="idempotency id: the same on every delivery of this event")]
    occurred_at: DateTime
    order_id: str
    actor: Annotated[Actor, Meta(description="who made the change")]
    actor_id: Annotated[str, Meta(description="the customer, reviewer or system component that acted")]
    reason: Annotated[str | None, Meta(description="reason code, where the change has one")] = None


class OrderCreated(EventDetail, frozen=True, kw_only=True):
    quantity: Annotated[int, Meta(ge=1)]
    amount: Annotated[int, Meta(ge=0, description="order amount in fen")]


class OrderPaid(EventDetail, frozen=True, kw_only=True):
    payment_id: str
    channel: str
    amount: Annotated[int, Meta(ge=0, description="amount paid in fen")]


class OrderCancelled(EventDetail, frozen=True, kw_only=True):
    RENAMED: ClassVar[dict[str, str]] = {"refund_amount": "amount"}
    from_status: str
    refund_id: Annotated[str | None, Meta(description="the refund this cancellation started, if paid")] = None
    refund_amount: Annotated[int, Meta(ge=0, description="fen; 0 when nothing was paid")] = 0
    request_id: Annotated[str | None, Meta(description="the cancellation request, when reviewed")] = None
    abort_answer: Annotated[
        Literal["aborted"] | None, Meta(description="cancelled by fulfilment's answer to a stop-delivery")
    ] = None
    upstream: Annotated[str | None, Meta(description="a top-up upstream's word with that answer")] = None


class DeliveryAbortRequested(EventDetail, frozen=True, kw_only=True):
    """Fulfilment must answer on its route: ``aborted`` or ``complete``; sent again while unanswered."""

    request_id: Annotated[str, Meta(description="the stop-delivery request holding the order")]
    product_type: str
    key_ids: Annotated[list[str], Meta(description="the keys reserved for it (none for top-ups)")]
    again: Annotated[bool, Meta(description="a repeat: the earlier ask is still unanswered")] = False


class OrderExpired(EventDetail, frozen=True, kw_only=True):
    """An unpaid order cancelled by the system at its payment deadline (reason payment_timeout)."""


class OrderCompleted(EventDetail, frozen=True, kw_only=True):
    """A delivered order completed: its confirmation window ended (or its customer confirmed)."""

    completed_at: Annotated[DateTime, Meta(description="when it counts as completed")]


class CancellationRequested(EventDetail, frozen=True, kw_only=True):
    RENAMED: ClassVar[dict[str, str]] = {"requested_amount": "amount"}
    request_id: str
    action: Annotated[str, Meta(description="request | stop_delivery | appeal | after_sales")]
    requested_amount: Annotated[int, Meta(ge=0, description="fen, for partial refunds")] | None = None


class CancellationAppealed(EventDetail, frozen=True, kw_only=True):
    RENAMED: ClassVar[dict[str, str]] = {"evidence_count": "evidence"}
    request_id: str
    refund_to: str
    evidence_count: Annotated[int, Meta(ge=0)] = 0


class RequestWithdrawn(EventDetail, frozen=True, kw_only=True):
    """A customer withdrew a request before its decision: the hold lifted, the task closed."""

    request_id: str
    action: Annotated[str, Meta(description="what was asked: request | stop_delivery | appeal | after_sales")]
    task_id: Annotated[str, Meta(description="the review task it closed (it may not have been made yet)")]


class ReviewDecided(EventDetail, frozen=True, kw_only=True):
    RENAMED: ClassVar[dict[str, str]] = {"refund_amount": "amount"}
    task_id: str
    request_id: str
    outcome: Literal["approved", "rejected", "need_info"]
    refund_id: str | None = None
    refund_amount: Annotated[int, Meta(ge=0, description="fen, when approved")] | None = None
    order_cancelled: bool | None = None


class ReviewOverdue(EventDetail, frozen=True, kw_only=True):
    """A review passed its SLA and was escalated (priority raised, senior reviewer only)."""

    task_id: str
    request_id: str
    decision_due: DateTime


class RefundEvent(EventDetail, frozen=True, kw_only=True):
    refund_id: str
    amount: Annotated[int, Meta(ge=1, description="fen")]
    channel: str


class RefundOverdue(RefundEvent, frozen=True, kw_only=True):
    status: Annotated[str, Meta(description="the refund's state when its SLA passed")]
    sla_due_at: DateTime


class RefundChased(RefundOverdue, frozen=True, kw_only=True):
    chases: Annotated[int, Meta(ge=1, description="how many times the customer has chased it")]


class LatePaymentRefunded(EventDetail, frozen=True, kw_only=True):
    payment_id: str
    amount: Annotated[int, Meta(ge=1, description="fen, refunded in full")]
    refund_id: str


class SupportAnswerOverdue(EventDetail, frozen=True, kw_only=True):
    subject_id: Annotated[str, Meta(description="the conversation's request (rq_) or refund (rf_)")]
    answer_due: DateTime
    escalations: Annotated[int, Meta(ge=1, description="how many windows it has been waiting")]


class CustomerNotified(EventDetail, frozen=True, kw_only=True):
    """Relay it to push, SMS or e-mail in the language the customer reads; ``event_id`` is the notice's id."""

    customer_id: Annotated[str, Meta(description="whom to tell")]
    notice_id: Annotated[str, Meta(description="the inbox message (GET /v1/inbox)")]
    kind: Annotated[str, Meta(description="what it is about: one of the inbox's notice kinds")]
    request_id: str | None = None
    refund_id: str | None = None
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str


class EventType(msgspec.Struct, frozen=True):
    """One domain event the bus carries: its detail-type, schema and the history it comes from."""

    name: str  # the detail-type
    model: type[EventDetail]
    description: str
    history_events: tuple[str, ...]  # the history entries (cancelflow.store.history) it comes from
    # A person must act (a stuck refund, a late review): the bus routes it to the operations
    # topic (infra.schedules_events), besides whatever rules the platform subscribes.
    to_ops: bool = False


CATALOGUE: tuple[EventType, ...] = (
    EventType("order.created", OrderCreated, "An order was created; stock is reserved.", ("order.created",)),
    EventType("order.paid", OrderPaid, "A payment was applied to an unpaid order.", ("order.paid",)),
    EventType(
        "order.cancelled",
        OrderCancelled,
        "An order was cancelled by its customer or a reviewer; a paid one with its refund.",
        ("order.cancelled",),
    ),
    EventType(
        "order.expired",
        OrderExpired,
        "An unpaid order passed its payment deadline and was cancelled by the system.",
        ("order.expired",),
    ),
    EventType(
        "order.completed",
        OrderCompleted,
        "A delivered order completed at the end of its confirmation window; after-sales opens.",
        ("order.completed",),
    ),
    EventType(
        "cancellation.requested",
        CancellationRequested,
        "A customer asked for a cancellation that needs review; the order is held.",
        ("cancellation.requested",),
    ),
    EventType(
        "delivery.abort_requested",
        DeliveryAbortRequested,
        "A stop-delivery asks fulfilment to abort; it answers aborted or delivered on its route.",
        ("delivery.abort_requested",),
    ),
    EventType(
        "cancellation.appealed",
        CancellationAppealed,
        "A customer appealed against a rejection; a senior reviewer decides.",
        ("cancellation.appealed",),
    ),
    EventType(
        "request.withdrawn",
        RequestWithdrawn,
        "A customer withdrew a request before its decision; the order is no longer held.",
        ("request.withdrawn",),
    ),
    EventType(
        "review.decided",
        ReviewDecided,
        "A reviewer approved, rejected, or asked the customer for more information.",
        ("review.decided", "review.need_info"),
    ),
    EventType(
        "review.overdue",
        ReviewOverdue,
        "A review passed its SLA and was escalated to a senior reviewer.",
        ("review.escalated",),
        to_ops=True,
    ),
    EventType(
        "refund.succeeded",
        RefundEvent,
        "The money is back with the customer (by the provider, or paid by support outside the system).",
        ("refund.succeeded", "refund.manual_recorded"),
    ),
    EventType(
        "refund.overdue",
        RefundOverdue,
        "A refund was not succeeded by its SLA; support and the customer see it flagged.",
        ("refund.overdue",),
        to_ops=True,
    ),
    EventType(
        "refund.chased",
        RefundChased,
        "The customer chased an overdue refund (催办); support takes it first.",
        ("refund.chased",),
        to_ops=True,
    ),
    EventType(
        "refund.needs_attention",
        RefundEvent,
        "A refund failed for good or too often; a person must settle it.",
        ("refund.needs_attention",),
        to_ops=True,
    ),
    EventType(
        "refund.needs_customer_action",
        RefundEvent,
        "A refund cannot reach its destination (e.g. account closed); the customer must act.",
        ("refund.needs_customer_action",),
        to_ops=True,
    ),
    EventType(
        "conversation.answer_overdue",
        SupportAnswerOverdue,
        "A customer waits past support's answer window in a conversation; a team lead takes it.",
        ("support.answer_overdue",),
        to_ops=True,
    ),
    EventType(
        "customer.notified",
        CustomerNotified,
        "A customer was sent an inbox message (a decision, a question, a refund's progress); relay it.",
        (),  # (made by the publisher, cancelflow.events.inbox, from every entry that notifies)
    ),
    EventType(
        "payment.late_refunded",
        LatePaymentRefunded,
        "A payment arrived for an order that was already cancelled; it is refunded in full.",
        ("payment.late_refunded",),
    ),
)

BY_NAME: dict[str, EventType] = {t.name: t for t in CATALOGUE}
# need_info is a decision too: its history entry has no outcome field, the event does
_CONSTANTS: dict[str, dict[str, Any]] = {"review.need_info": {"outcome": "need_info"}}
BY_HISTORY_EVENT: dict[str, tuple[EventType, dict[str, Any]]] = {
    h: (t, _CONSTANTS.get(h, {})) for t in CATALOGUE for h in t.history_events
}
