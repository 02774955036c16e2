"""A request's or a stuck refund's conversation (工单; docs/domain.md, "Conversations"): its
messages between the customer and support/reviewers, the reviewer's questions and the
customer's answers among them, read receipts, and whether support owes an answer and by when.

The customer reads and writes only the threads of their own orders (another's order is not
found); staff (reviewers, support) any. The thread is made by its first message; support's
message settles the answer it owed and tells the customer (``support.replied``, an inbox
message), the customer's next one starts the clock again (``domain.conversation``).
Integrations: DynamoDB (through ``cancelflow.store``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from cancelflow.cancel.conversation_views import MessageOut, ThreadOut, ThreadSummary
from cancelflow.domain.conversation import answer_due, refund_is_priority
from cancelflow.domain.models import Order
from cancelflow.domain.priority import URGENT, priority_class, reviewed_as
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.identity import STAFF, Caller
from cancelflow.settings import get_settings
from cancelflow.store import orders, refunds, threads
from cancelflow.store.codec import new_id
from cancelflow.store.history import HistoryEvent
from cancelflow.store.threads import Message, Thread


def _is_staff(caller: Caller) -> bool:
    return caller.has_any(STAFF)


def _role(caller: Caller) -> str:
    for role in ("support", "senior_reviewer", "reviewer"):
        if role in caller.groups:
            return role
    return "customer"


def _open(caller: Caller, order_id: str, subject_id: str) -> tuple[orders.Partition, bool]:
    """The order's partition (one Query: the order, its history, requests and conversations) and
    whether a new thread about ``subject_id`` is priority; not found when the caller may not see
    it (another customer's order) or the subject is not this order's."""
    part = orders.read_partition(order_id, None if _is_staff(caller) else caller.sub)
    if subject_id.startswith("rf_"):
        refund = refunds.get(subject_id)
        if refund is None or refund.order_id != order_id:
            raise DomainError(ErrorCode.REFUND_NOT_FOUND, {"refund_id": subject_id})
        return part, refund_is_priority(refund.status.value, refund.overdue)
    request = next((r for r in part.requests if r.request_id == subject_id), None)
    if request is None:
        raise DomainError(ErrorCode.REQUEST_NOT_FOUND, {"request_id": subject_id})
    action = reviewed_as(request.action.value, part.order.status)
    return part, priority_class(action, request.reason_code, part.order.status) == URGENT


def view(part: orders.Partition, subject_id: str, staff: bool, t: Thread | None = None) -> ThreadOut:
    """The conversation as ``part`` holds it (``t``: its thread as just written): its messages
    with the reviewer's questions and the customer's answers, in time order. Staff see who on
    their side wrote; a customer, the role only."""
    t = t or part.conversations.threads.get(subject_id)
    shown = [
        MessageOut(
            message_id=m.message_id,
            author=m.author,
            role=m.role,
            author_id=m.author_id if staff else None,
            text=m.text,
            evidence=list(m.evidence),
            at=m.at,
            source="message",
        )
        for m in part.conversations.messages.get(subject_id, [])
    ]
    for e in part.history:
        if e.event is HistoryEvent.REVIEW_NEED_INFO and e.detail.get("request_id") == subject_id:
            shown.append(
                MessageOut(
                    message_id=e.entry_id.rsplit("#", 1)[-1],
                    author="staff",
                    role="reviewer",
                    author_id=e.actor_id if staff else None,
                    text=str(e.detail.get("question") or ""),
                    evidence=[],
                    at=e.at,
                    source="question",
                )
            )
    for r in part.requests:
        if r.request_id == subject_id:
            shown += [
                MessageOut(
                    message_id=f"answer-{i + 1}",
                    author="customer",
                    role="customer",
                    text=a.text,
                    evidence=list(a.evidence),
                    at=a.at,
                    source="answer",
                )
                for i, a in enumerate(r.answers or ())
            ]
    return ThreadOut.of(part.order.order_id, subject_id, t, sorted(shown, key=lambda m: (m.at, m.message_id)))


def read(caller: Caller, order_id: str, subject_id: str) -> ThreadOut:
    part, _ = _open(caller, order_id, subject_id)
    return view(part, subject_id, _is_staff(caller))


def _written(part: orders.Partition, t: Thread, message: Message | None) -> orders.Partition:
    """``part`` with the thread and message just written (the answer needs no second read)."""
    convs = part.conversations
    subject = t.subject_id
    messages = {
        **convs.messages,
        subject: [*convs.messages.get(subject, []), *([message] if message else [])],
    }
    return msgspec.structs.replace(
        part, conversations=threads.Conversations({**convs.threads, subject: t}, messages)
    )


def post(
    caller: Caller,
    order_id: str,
    subject_id: str,
    text: str,
    evidence: tuple[str, ...],
    now: datetime,
    check_evidence: Callable[[Order, tuple[str, ...]], None],
) -> ThreadOut:
    """One message; images only from the customer (their uploads for this order, checked as a
    request's: ``check_evidence``). CONFLICT when the thread changed meanwhile (send it again)."""
    part, priority = _open(caller, order_id, subject_id)
    staff = _is_staff(caller)
    if evidence and staff:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, {"field": "evidence", "why": "images come from the customer"}
        )
    if evidence:
        check_evidence(part.order, evidence)
    t = part.conversations.threads.get(subject_id) or Thread(
        subject_id=subject_id,
        order_id=order_id,
        customer_id=part.order.customer_id,
        priority=priority,
        opened_at=now,
    )
    message = Message(
        message_id=new_id("m"),
        subject_id=subject_id,
        order_id=order_id,
        author="staff" if staff else "customer",
        author_id=caller.sub,
        role=_role(caller),
        text=text,
        evidence=evidence,
        at=now,
    )
    entry = None
    if staff:  # support answers: the answer it owed is settled, and the customer is told
        changes = {
            "awaiting_since": None,
            "response_due": None,
            "first_response_at": t.first_response_at or now,
            "staff_read_at": now,
        }
        entry = {
            "at": now,
            "suffix": f"{subject_id}#{message.message_id}",
            "event": HistoryEvent.SUPPORT_REPLIED.value,
            "actor": Actor.SUPPORT.value if message.role == "support" else Actor.REVIEWER.value,
            "actor_id": caller.sub,
            "detail": {
                "request_id" if subject_id.startswith("rq_") else "refund_id": subject_id,
                "text": text,
            },
        }
    else:  # the customer asks: support owes an answer from their first unanswered message
        since = t.awaiting_since or now
        changes = {
            "awaiting_since": since,
            "response_due": t.response_due or answer_due(get_settings().policies, t.priority, since),
            "customer_read_at": now,
        }
    new = msgspec.structs.replace(
        t, **changes, version=t.version + 1, messages=t.messages + 1, last_message_at=now
    )
    if not threads.save(new, message, entry):
        raise DomainError(ErrorCode.CONFLICT, {"subject_id": subject_id})
    return view(_written(part, new, message), subject_id, staff)


def mark_read(caller: Caller, order_id: str, subject_id: str, now: datetime) -> ThreadOut:
    """The caller's side has read the thread up to now (a read receipt; never back in time)."""
    part, _ = _open(caller, order_id, subject_id)
    staff = _is_staff(caller)
    t = part.conversations.threads.get(subject_id)
    if t is None:
        return view(part, subject_id, staff)  # nothing written yet: nothing to have read
    side = "staff_read_at" if staff else "customer_read_at"
    read_now = msgspec.structs.replace(t, **{side: now}, version=t.version + 1)
    if not threads.save(read_now):
        raise DomainError(ErrorCode.CONFLICT, {"subject_id": subject_id})
    return view(_written(part, read_now, None), subject_id, staff)


def awaiting() -> list[ThreadSummary]:
    """Support's list: every thread whose customer waits for an answer, the earliest due first."""
    return [
        ThreadSummary(
            subject_id=t.subject_id,
            order_id=t.order_id,
            customer_id=t.customer_id,
            priority=t.priority,
            awaiting_since=t.awaiting_since or t.opened_at,
            answer_due=t.response_due or t.opened_at,
            escalations=t.escalations,
            last_message_at=t.last_message_at,
        )
        for t in threads.awaiting()
    ]
