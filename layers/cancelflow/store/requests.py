"""Cancellation requests: one item per request under its order (``REQ#<id>``). A request that
needs review holds the order (``open_request_id``) in the same transaction that creates it, and
sits in the review due index until decided, so a hold can never be forgotten
(docs/domain.md, "Review"; docs/domain.md, "Appeals").

``Request`` is the one definition of a stored request: what creation writes and what every
read returns. The index attributes (``pk``, ``sk``, ``type``, ``due_pk``) are added here when
writing and ignored when decoding; ``due_at`` is kept because it means something (the review's
decision time, or while a question is open the customer's time to answer).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import msgspec

from cancelflow.domain import stop_delivery
from cancelflow.domain.actions import Action
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.messages import ReviewMessage
from cancelflow.settings import get_settings
from cancelflow.store import abort_requests, customers, ddb, keys
from cancelflow.store.codec import decode, new_id, plain
from cancelflow.store.orders.changes import Change, run

if TYPE_CHECKING:  # annotations only: domain.options loads every eligibility rule and the policy
    from cancelflow.domain.options import Submission
    from cancelflow.domain.policy import CancellationPolicy

Op = dict[str, Any]  # one write of a transaction: pass it along, never look inside


class RequestStatus(StrEnum):
    """Where a cancellation request stands: ``auto_approved`` (inside the window: cancelled and
    refunded at once), ``under_review``, ``need_info`` (a reviewer asked a question: answer it
    with POST .../cancellations/{request_id}/answer), ``approved``, ``rejected`` (may be
    appealed once with POST .../cancellations/{request_id}/appeal), ``withdrawn`` (its customer
    took it back before a decision: POST .../cancellations/{request_id}/withdraw)."""

    AUTO_APPROVED = "auto_approved"
    UNDER_REVIEW = "under_review"
    NEED_INFO = "need_info"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


UNDER_REVIEW = RequestStatus.UNDER_REVIEW
NEED_INFO = RequestStatus.NEED_INFO  # a reviewer asked the customer; the review SLA waits
REJECTED = RequestStatus.REJECTED  # may be appealed once
APPROVED = RequestStatus.APPROVED
AUTO_APPROVED = RequestStatus.AUTO_APPROVED
WITHDRAWN = RequestStatus.WITHDRAWN  # taken back by its customer: never decided, never counted
PENDING_REVIEW = (UNDER_REVIEW, NEED_INFO)  # not decided yet


class Appeal(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's one appeal against a rejection."""

    at: datetime
    text: str
    evidence: tuple[str, ...] = ()
    refund_to: RefundTo | None = None


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's answer to a reviewer's question."""

    at: datetime
    text: str
    evidence: tuple[str, ...] = ()


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """A cancellation request as stored. The optional fields are set by later steps: the
    review's decision (``decided_*``, ``rejected_*``, ``decision_note``), a reviewer's question
    (``info_*``), the customer's answers and appeal, the review sweep (``escalated_at``)."""

    request_id: str
    order_id: str
    customer_id: str
    action: Action
    reason_code: Reason
    status: RequestStatus
    created_at: datetime
    description: str | None = None
    evidence: tuple[str, ...] = ()
    refund_to: RefundTo | None = None  # None only on requests stored before it was kept
    amount: int | None = None  # fen: a partial refund asked for
    appeal_used: bool = False
    appeal: Appeal | None = None
    answers: tuple[Answer, ...] | None = None  # None: never asked (nothing stored)
    updated_at: datetime | None = None
    due_at: datetime | None = None  # while undecided: the decision (or the answer) is due then
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    rejected_by: str | None = None  # never the one to decide its appeal
    rejected_at: datetime | None = None
    info_request: str | None = None  # the reviewer's open question
    info_asked_at: datetime | None = None
    escalated_at: datetime | None = None
    withdrawn_at: datetime | None = None
    converted_to_appeal: bool | None = None  # delivered while under review


def stored(request: Request) -> dict[str, Any]:
    """The request's attributes as stored (times as ``clock.iso`` text, enums as values)."""
    data: dict[str, Any] = plain(msgspec.to_builtins(request, builtin_types=(datetime,)))
    return data


def of_item(item: ddb.Item) -> Request:
    return decode(Request, item)


def new_request(
    order: Order, sub: Submission, request_id: str, status: RequestStatus, now: datetime
) -> Request:
    """The request a submission makes (not yet stored)."""
    return Request(
        request_id=request_id,
        order_id=order.order_id,
        customer_id=order.customer_id,
        action=sub.action,
        reason_code=sub.reason_code,
        description=sub.description,
        evidence=tuple(sub.evidence),
        refund_to=sub.refund_to,
        amount=sub.amount,
        status=status,
        created_at=now,
        updated_at=now,
    )


def put_op(request: Request, due_pk: str | None = None) -> Op:
    """Store a new request; never over another with the same id (a rejection, its appeal)."""
    item = {
        "pk": keys.order_pk(request.order_id),
        "sk": keys.request_sk(request.request_id),
        "type": "request",
        **stored(request),
        "due_pk": due_pk,
    }
    return {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def review_due(request_id: str, policy: CancellationPolicy, now: datetime) -> tuple[str, datetime]:
    """Until decided a request sits in the review due index: the review sweep escalates it at
    its SLA and re-sends its message if intake never saw it."""
    return (
        keys.due_pk(keys.REVIEW, keys.shard(request_id, get_settings().due_shards)),
        now + timedelta(minutes=policy.review_decision_minutes),
    )


def open_for_review(order: Order, sub: Submission, now: datetime) -> tuple[Order, Request]:
    """Hold the order and record the request (status ``under_review``), atomically; the held
    order and the request as stored. A delivering order's hold also asks fulfilment to abort
    (``domain/stop_delivery.py``), and the request is due when fulfilment's answer is."""
    request_id = new_id("rq")
    policy = get_settings().policies.for_order(order)
    due_pk, due_at = review_due(request_id, policy, now)
    abort = stop_delivery.asks_abort(order)
    if abort:  # fulfilment's answer is due first: unanswered, the review sweep escalates then
        due_at = stop_delivery.abort_answer_due(policy, now)
    request = msgspec.structs.replace(new_request(order, sub, request_id, UNDER_REVIEW, now), due_at=due_at)
    change = Change(
        order,
        None,
        "cancellation.requested",
        Actor.CUSTOMER,
        order.customer_id,
        now,
        reason=sub.reason_code.value,
        set_={"open_request_id": request_id, **(abort_requests.hold_sets(now) if abort else {})},
        condition="attribute_not_exists(open_request_id)",
        detail={"request_id": request_id, "action": sub.action.value, "amount": sub.amount},
    )
    ops = [put_op(request, due_pk), customers.count_op(order.customer_id, now, "cancellation_requests")]
    if abort:
        ops.append(abort_requests.entry_op(order, request_id, now))
    return run(change, ops), request


def review_message(request: Request, order: Order) -> ReviewMessage:
    """The review queue's message for a stored request under review: a first request, or an
    appeal against its rejection (the appeal's text, time, and who may not decide it)."""
    appeal = request.appeal if request.appeal_used else None
    return ReviewMessage(
        kind="rejection_appeal" if appeal else "cancellation",
        request_id=request.request_id,
        order_id=request.order_id,
        customer_id=request.customer_id,
        action=request.action,
        reason_code=request.reason_code,
        description=appeal.text if appeal else request.description,
        evidence=request.evidence,
        refund_to=request.refund_to or RefundTo.ORIGINAL,
        requested_amount=request.amount,
        order_amount=order.amount,
        refundable=order.refundable,
        submitted_at=appeal.at if appeal else request.created_at,
        rejected_by=request.rejected_by if appeal else None,
    )


def get_request(order_id: str, request_id: str) -> Request:
    item = ddb.get(keys.order_pk(order_id), keys.request_sk(request_id))
    if item is None:
        raise DomainError(ErrorCode.REQUEST_NOT_FOUND, {"request_id": request_id})
    return of_item(item)


def list_requests(order_id: str) -> list[Request]:
    return [of_item(i) for i in ddb.partition(keys.order_pk(order_id), "REQ#")]
