"""An order's timeline for its customer: every history entry (requests, review steps, refund
steps) in time order, each with its event code, a title in the caller's language and the facts
a client shows for it, and the current state of its refunds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import ConfigDict, Field

from cancelflow.cancel import titles
from cancelflow.cancel.views import (
    ANSWER_BY,
    QUESTION,
    REJECTION,
    RefundSummary,
    cst_of,
    refunds_named,
    time_of,
)
from cancelflow.domain.calendar import CST_DESCRIPTION
from cancelflow.domain.options import Action
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.http.fields import Model
from cancelflow.store import orders
from cancelflow.store.history import Entry, HistoryEvent
from cancelflow.store.refunds import RefundStatus


class ReviewOutcome(StrEnum):
    """A review's decision: ``approved`` (refunded; the order cancelled unless its value had
    moved) or ``rejected``."""

    APPROVED = "approved"
    REJECTED = "rejected"


E = HistoryEvent
_REFUND_EVENTS = frozenset(e for e in E if e.value.startswith("refund."))
_DECISION_DUE_EVENTS = (E.REVIEW_TASK_CREATED, E.REVIEW_INFO_SUPPLIED)
_EVIDENCE_EVENTS = (E.CANCELLATION_APPEALED, E.REVIEW_INFO_SUPPLIED)
# What support did with the stock a cancellation quarantined is internal (its reason is staff's
# free text): the order's history keeps it, the customer's timeline does not show it.
_INTERNAL_EVENTS = frozenset({E.KEY_RELEASED, E.KEY_VOIDED})


class TimelineEntry(Model):
    """One step of an order's history as its customer sees it: what happened (``event``), a
    title in the caller's language, and the facts a client shows for that kind of step; the
    fields that do not apply to it are null."""

    model_config = ConfigDict(frozen=True)
    at: datetime
    event: HistoryEvent
    title: str = Field(description="what happened, in the caller's language (Accept-Language)")
    actor: Actor = Field(description="who made the change")
    from_status: OrderStatus | None = Field(default=None, description="the order's status before")
    to_status: OrderStatus | None = Field(default=None, description="the order's status after")
    reason: str | None = Field(default=None, description="reason code, where the step has one")
    request_id: str | None = Field(default=None, description="the cancellation request of this step")
    action: Action | None = Field(default=None, description="cancellation.requested: what was asked")
    refund_id: str | None = None
    amount: int | None = Field(
        default=None,
        description="fen: the order's (order.created), the payment's (order.paid, "
        "payment.late_refunded), the refund's (order.cancelled, review.decided, refund.*), or the "
        "partial refund asked for (cancellation.requested)",
    )
    channel: Channel | None = Field(
        default=None, description="order.paid: how it was paid; refund.*: where the money goes back"
    )
    refund_status: RefundStatus | None = Field(
        default=None, description="refund.*: the refund's status after this step"
    )
    refund_to: RefundTo | None = Field(
        default=None, description="cancellation.appealed: the refund's destination"
    )
    outcome: ReviewOutcome | None = Field(default=None, description="review.decided")
    order_cancelled: bool | None = Field(
        default=None, description="review.decided, approved: cancelled (true) or only refunded (false)"
    )
    rejection_reason: str | None = Field(default=None, description="review.decided, rejected: " + REJECTION)
    question: str | None = Field(default=None, description="review.need_info: " + QUESTION)
    answer_by: datetime | None = Field(default=None, description="review.need_info: " + ANSWER_BY)
    answer_by_cst: str | None = Field(default=None, description=CST_DESCRIPTION)
    decision_due: datetime | None = Field(
        default=None, description="review.task_created, review.info_supplied: a decision is due by then"
    )
    decision_due_cst: str | None = Field(default=None, description=CST_DESCRIPTION)
    evidence_count: int | None = Field(
        default=None, description="cancellation.appealed, review.info_supplied: images added"
    )

    @classmethod
    def of(cls, entry: Entry, lang: str) -> Self:
        """From a stored history entry. Only what the customer may see is picked from its
        ``detail`` (never task versions, provider answers or who reviewed)."""
        event = entry.event
        d: Mapping[str, Any] = entry.detail
        outcome = ReviewOutcome(d["outcome"]) if event is E.REVIEW_DECIDED and d.get("outcome") else None
        asking = event is E.REVIEW_NEED_INFO
        answer_by = time_of(d.get("answer_by")) if asking else None
        decision_due = time_of(d.get("decision_due")) if event in _DECISION_DUE_EVENTS else None
        refund = event in _REFUND_EVENTS
        return cls(
            at=entry.at,
            event=event,
            title=titles.title(event, outcome, lang),
            actor=entry.actor,
            from_status=entry.from_status,
            to_status=entry.to_status,
            reason=entry.reason,
            request_id=d.get("request_id"),
            action=d.get("action") if event is E.CANCELLATION_REQUESTED else None,
            refund_id=d.get("refund_id"),
            amount=d.get("amount"),
            channel=d.get("channel"),
            refund_status=(d.get("to_status") or d.get("status")) if refund else None,
            refund_to=d.get("refund_to") if event is E.CANCELLATION_APPEALED else None,
            outcome=outcome,
            order_cancelled=d.get("order_cancelled") if outcome is ReviewOutcome.APPROVED else None,
            rejection_reason=d.get("note") if outcome is ReviewOutcome.REJECTED else None,
            question=d.get("question") if asking else None,
            answer_by=answer_by,
            answer_by_cst=cst_of(answer_by),
            decision_due=decision_due,
            decision_due_cst=cst_of(decision_due),
            evidence_count=d.get("evidence") if event in _EVIDENCE_EVENTS else None,
        )


class Timeline(Model):
    model_config = ConfigDict(frozen=True)
    order_id: str
    status: OrderStatus
    entries: list[TimelineEntry]
    refunds: list[RefundSummary]


def customer_entries(history: list[Entry], lang: str) -> list[TimelineEntry]:
    """The entries of an order's history its customer sees (all but the internal ones)."""
    return [TimelineEntry.of(h, lang) for h in history if h.event not in _INTERNAL_EVENTS]


def timeline(customer_id: str, order_id: str, now: datetime, lang: str) -> Timeline:
    part = orders.read_partition(order_id, customer_id)  # another customer's order: not found
    return Timeline(
        order_id=order_id,
        status=part.order.effective_status(now),
        # who exactly (a reviewer's id) is internal; the role and what happened are not
        entries=customer_entries(part.history, lang),
        refunds=refunds_named(part.history, now, lang),
    )
