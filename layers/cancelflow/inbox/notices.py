"""Which moments of an order its customer must be told of: THE rule, one history entry in, one
notice (or none) out.

A notice is projected from the order's history by the stream publisher (``events.publisher``),
so nothing that changes an order has to remember to notify: the entry that records a change
is the one that tells the customer. What the customer did themselves (a withdrawal, an unpaid
order cancelled on the order page, an answer sent) is not told back to them; neither is what is
internal (claims, delivery steps, retries that change nothing for them). A notice keeps the
facts, not text: it is written in the reader's language when read (``inbox.texts``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from cancelflow.domain.states import Actor
from cancelflow.store.history import Entry, HistoryEvent

E = HistoryEvent
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NoticeKind(StrEnum):
    """What the message is about (one text each: ``inbox.texts``)."""

    CANCELLED_AT_ONCE = "cancelled_at_once"  # a request auto-approved: cancelled (and refunded) now
    UNDER_REVIEW = "under_review"  # a request or appeal waits for a reviewer, with its due time
    INFO_NEEDED = "info_needed"  # the reviewer's question and the deadline to answer it
    REQUEST_APPROVED = "request_approved"
    REQUEST_REJECTED = "request_rejected"  # with the reason; an appeal is the way on
    APPEAL_APPROVED = "appeal_approved"
    APPEAL_REJECTED = "appeal_rejected"  # final
    CONVERTED_TO_APPEAL = "converted_to_appeal"  # delivered during the review
    STOPPED_AND_CANCELLED = "stopped_and_cancelled"  # fulfilment stopped the delivery
    CANCELLED_BY_SUPPORT = "cancelled_by_support"
    ORDER_EXPIRED = "order_expired"  # not paid in time
    REFUND_STARTED = "refund_started"
    REFUND_SUCCEEDED = "refund_succeeded"  # channel, amount, the provider's reference
    REFUND_OVERDUE = "refund_overdue"
    REFUND_NEEDS_ACTION = "refund_needs_action"  # the money cannot reach them: they must choose
    LATE_PAYMENT_REFUNDED = "late_payment_refunded"
    SUPPORT_REPLIED = "support_replied"  # support's answer in the request's or refund's conversation


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """One message of a customer's inbox, as stored: the facts its text is made from."""

    notice_id: str
    customer_id: str
    order_id: str
    kind: NoticeKind
    at: datetime
    entry_id: str  # the history entry it was made from (one notice per entry, at most)
    request_id: str | None = None
    refund_id: str | None = None
    amount: int | None = None  # fen: the refund's, or the late payment's
    channel: str | None = None  # where the refund goes back
    reference: str | None = None  # the provider's refund id (or support's record of a manual one)
    question: str | None = None
    answer_by: datetime | None = None
    decision_due: datetime | None = None
    note: str | None = None  # a rejection's reason in the reviewer's words; support's answer
    read_at: datetime | None = None


def notice_id(at: datetime, entry_id: str) -> str:
    """Time-ordered (the inbox is newest first by it) and the same for the same entry, so a
    stream record delivered twice writes one notice. URL-safe: it is a path parameter."""
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    digest = hashlib.blake2b(entry_id.encode(), digest_size=8).hexdigest()
    return f"n_{micros:014x}{digest}"  # 14 hex digits of time (fixed width: sorts as text), 16 of the entry


def _time(v: Any) -> datetime | None:
    from cancelflow.clock import parse

    return parse(v) if isinstance(v, str) and v else None


def _decided(outcome: Any, appeal: bool) -> NoticeKind | None:
    if outcome == "approved":
        return NoticeKind.APPEAL_APPROVED if appeal else NoticeKind.REQUEST_APPROVED
    if outcome == "rejected":
        return NoticeKind.APPEAL_REJECTED if appeal else NoticeKind.REQUEST_REJECTED
    return None


def kind_of(entry: Entry) -> NoticeKind | None:
    """The moment ``entry`` is, for its customer, or None: they need not be told."""
    d = entry.detail
    event = entry.event
    if event is E.ORDER_CANCELLED:
        if entry.actor is Actor.CUSTOMER:
            # auto-approved (a request was made and decided at once); an unpaid order cancelled
            # on the order page is the customer's own act, answered there
            return NoticeKind.CANCELLED_AT_ONCE if d.get("request_id") else None
        if entry.actor is Actor.PLATFORM:
            return NoticeKind.STOPPED_AND_CANCELLED
        if entry.actor is Actor.SUPPORT:
            return NoticeKind.CANCELLED_BY_SUPPORT
        return None  # by a reviewer: the decision's own notice says it
    if event is E.REVIEW_DECIDED:
        # an appeal's task is ta_..., a request's tk_... (store.tasks.task_id_for; imported
        # here: the cancel function loads this module for NoticeKind, and needs no task rules)
        from cancelflow.store.tasks import KIND_PREFIX, TaskKind

        appeal = str(d.get("task_id", "")).startswith(KIND_PREFIX[TaskKind.REJECTION_APPEAL] + "_")
        return _decided(d.get("outcome"), appeal)
    if event is E.REFUND_PROCESSING:
        # the first attempt only: a retry changes nothing the customer can see
        return (
            NoticeKind.REFUND_STARTED
            if d.get("from_status") == "pending" and d.get("attempts", 1) <= 1
            else None
        )
    return _BY_EVENT.get(event)


_BY_EVENT: dict[HistoryEvent, NoticeKind] = {
    E.ORDER_EXPIRED: NoticeKind.ORDER_EXPIRED,
    E.REVIEW_TASK_CREATED: NoticeKind.UNDER_REVIEW,
    E.REVIEW_NEED_INFO: NoticeKind.INFO_NEEDED,
    E.REVIEW_CONVERTED_TO_APPEAL: NoticeKind.CONVERTED_TO_APPEAL,
    E.REFUND_SUCCEEDED: NoticeKind.REFUND_SUCCEEDED,
    E.REFUND_MANUAL_RECORDED: NoticeKind.REFUND_SUCCEEDED,
    E.REFUND_OVERDUE: NoticeKind.REFUND_OVERDUE,
    E.REFUND_NEEDS_CUSTOMER_ACTION: NoticeKind.REFUND_NEEDS_ACTION,
    E.PAYMENT_LATE_REFUNDED: NoticeKind.LATE_PAYMENT_REFUNDED,
    E.SUPPORT_REPLIED: NoticeKind.SUPPORT_REPLIED,
}


def notice_of(entry: Entry, customer_id: str) -> Notice | None:
    """The notice ``entry`` makes for the order's customer, or None."""
    kind = kind_of(entry)
    return made(entry, customer_id, kind) if kind is not None else None


def made(entry: Entry, customer_id: str, kind: NoticeKind) -> Notice:
    """The notice of ``kind`` (``kind_of(entry)``) for the order's customer."""
    d = entry.detail
    rejected = kind in (NoticeKind.REQUEST_REJECTED, NoticeKind.APPEAL_REJECTED)
    return Notice(
        notice_id=notice_id(entry.at, entry.entry_id),
        customer_id=customer_id,
        order_id=entry.order_id,
        kind=kind,
        at=entry.at,
        entry_id=entry.entry_id,
        request_id=d.get("request_id"),
        refund_id=d.get("refund_id"),
        amount=d.get("amount") if kind not in (NoticeKind.UNDER_REVIEW, NoticeKind.INFO_NEEDED) else None,
        channel=d.get("channel"),
        reference=d.get("provider_ref") or d.get("reference"),
        question=d.get("question") if kind is NoticeKind.INFO_NEEDED else None,
        answer_by=_time(d.get("answer_by")) if kind is NoticeKind.INFO_NEEDED else None,
        decision_due=_time(d.get("decision_due")) if kind is NoticeKind.UNDER_REVIEW else None,
        note=d.get("note") if rejected else d.get("text") if kind is NoticeKind.SUPPORT_REPLIED else None,
    )
