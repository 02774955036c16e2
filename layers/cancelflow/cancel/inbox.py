"""A customer's inbox (站内信): their notices newest first, a page at a time, each in the
reader's language; how many are unread; marking one read. Only the caller's own inbox is
ever read (its partition is the caller's id; a cursor or notice id of another's is not found).
Integrations: DynamoDB (through ``cancelflow.store.inbox``)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import ConfigDict, Field

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.fields import Model
from cancelflow.inbox.notices import Notice, NoticeKind
from cancelflow.store import inbox


class NoticeOut(Model):
    """One inbox message: what it is about (``kind``), its text in the caller's language, and
    the facts a client links or shows (the order, request or refund it is about)."""

    model_config = ConfigDict(frozen=True)
    notice_id: str
    kind: NoticeKind
    at: datetime
    title: str = Field(description="in the caller's language (Accept-Language)")
    body: str = Field(description="in the caller's language: what happened and what the customer may do")
    order_id: str
    request_id: str | None = None
    refund_id: str | None = None
    amount: int | None = Field(default=None, description="fen: the refund's or the payment's")
    channel: str | None = Field(default=None, description="where the refund goes back")
    reference: str | None = Field(default=None, description="refund_succeeded: the provider's refund id")
    question: str | None = Field(default=None, description="info_needed: the reviewer's question")
    answer_by: datetime | None = Field(default=None, description="info_needed: answer before this")
    decision_due: datetime | None = Field(default=None, description="under_review: decided by then")
    read: bool
    read_at: datetime | None = None

    @classmethod
    def of(cls, n: Notice, lang: str) -> Self:
        from cancelflow.inbox import texts  # (answers only: not loaded on the cancel function's cold start)

        title, body = texts.text(n, lang)
        return cls(
            notice_id=n.notice_id,
            kind=n.kind,
            at=n.at,
            title=title,
            body=body,
            order_id=n.order_id,
            request_id=n.request_id,
            refund_id=n.refund_id,
            amount=n.amount,
            channel=n.channel,
            reference=n.reference,
            question=n.question,
            answer_by=n.answer_by,
            decision_due=n.decision_due,
            read=n.read_at is not None,
            read_at=n.read_at,
        )


class InboxPage(Model):
    model_config = ConfigDict(frozen=True)
    items: list[NoticeOut] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="the next page's cursor; null on the last")
    unread: int = Field(ge=0, description="unread messages in the whole inbox")


class UnreadOut(Model):
    model_config = ConfigDict(frozen=True)
    unread: int = Field(ge=0)


def page(customer_id: str, limit: int, cursor: str | None, lang: str) -> InboxPage:
    found, next_cursor = inbox.page(customer_id, limit, cursor)
    return InboxPage(
        items=[NoticeOut.of(n, lang) for n in found],
        next_cursor=next_cursor,
        unread=inbox.unread(customer_id),
    )


def unread(customer_id: str) -> UnreadOut:
    return UnreadOut(unread=inbox.unread(customer_id))


def mark_read(customer_id: str, notice_id: str, now: datetime, lang: str) -> NoticeOut:
    done = inbox.mark_read(customer_id, notice_id, now)
    if done is None:
        raise DomainError(ErrorCode.NOTICE_NOT_FOUND, {"notice_id": notice_id})
    return NoticeOut.of(done, lang)
