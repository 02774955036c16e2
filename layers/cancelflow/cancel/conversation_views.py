"""A conversation as the API answers it (``cancelflow.cancel.conversation`` reads and writes
it). Apart from the use case so that the cancel function, whose routes and dispute record name
these models, does not load the conversation's store and rules on every cold start."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, Self

from pydantic import ConfigDict, Field

from cancelflow.http.fields import Model

if TYPE_CHECKING:
    from cancelflow.store.threads import Thread

Source = Literal["message", "question", "answer"]


class MessageOut(Model):
    model_config = ConfigDict(frozen=True)
    message_id: str
    author: Literal["customer", "staff"]
    role: str = Field(description="customer, reviewer, senior_reviewer or support")
    author_id: str | None = Field(default=None, description="who wrote it: shown to staff only")
    text: str
    evidence: list[str] = Field(description="image keys (evidence-uploads)")
    at: datetime
    source: Source = Field(description="message; question: a reviewer's need_info; answer: the customer's")


class ThreadOut(Model):
    """One conversation. Staff see who wrote (``author_id``); a customer sees the role only."""

    model_config = ConfigDict(frozen=True)
    subject_id: str = Field(description="the request (rq_...) or refund (rf_...) it is about")
    order_id: str
    priority: bool = Field(description="answered within the short window (urgent request, stuck refund)")
    messages: list[MessageOut] = Field(description="oldest first")
    awaiting_answer: bool = Field(description="the customer's last message waits for support's answer")
    answer_due: datetime | None = Field(default=None, description="support answers by then")
    escalated: bool = Field(description="support's answer is overdue: escalated to the team lead")
    first_response_at: datetime | None = None
    customer_read_at: datetime | None = Field(default=None, description="read receipt: the customer")
    staff_read_at: datetime | None = Field(default=None, description="read receipt: support")

    @classmethod
    def of(cls, order_id: str, subject_id: str, t: Thread | None, shown: list[MessageOut]) -> Self:
        return cls(
            subject_id=subject_id,
            order_id=order_id,
            priority=bool(t and t.priority),
            messages=shown,
            awaiting_answer=bool(t and t.awaiting_since),
            answer_due=t.response_due if t else None,
            escalated=bool(t and t.escalated_at and t.awaiting_since),
            first_response_at=t.first_response_at if t else None,
            customer_read_at=t.customer_read_at if t else None,
            staff_read_at=t.staff_read_at if t else None,
        )


class ThreadSummary(Model):
    model_config = ConfigDict(frozen=True)
    subject_id: str
    order_id: str
    customer_id: str
    priority: bool
    awaiting_since: datetime
    answer_due: datetime
    escalations: int = Field(description="times support's answer went overdue")
    last_message_at: datetime | None = None
