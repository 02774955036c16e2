"""Cancellation requests: one item per request under its order. A request that needs review
holds the order (``open_request_id``) in the same transaction that creates it, and sits in
the review due index until decided, so a hold can never be forgotten."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.messages import ReviewMessage
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, keys
from cancelflow.store.codec import new_id
from cancelflow.store.orders import Change, run

UNDER_REVIEW = "under_review"
NEED_INFO = "need_info"  # a reviewer asked the customer; the review SLA waits
REJECTED = "rejected"  # may be appealed once
PENDING_REVIEW = (UNDER_REVIEW, NEED_INFO)  # not decided yet
AUTO_APPROVED = "auto_approved"


def request_item(
    order: Order, sub: Submission, request_id: str, status: str, now: datetime
) -> dict[str, Any]:
    return {
        "pk": keys.order_pk(order.order_id),
        "sk": keys.request_sk(request_id),
        "type": "request",
        "request_id": request_id,
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "action": sub.action.value,
        "reason_code": sub.reason_code.value,
        "description": sub.description,
        "evidence": list(sub.evidence),
        "refund_to": sub.refund_to.value,
        "amount": sub.amount,
        "status": status,
        "appeal_used": False,
        "created_at": iso(now),
        "updated_at": iso(now),
    }


def put_op(item: dict[str, Any]) -> dict[str, Any]:
    return {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def review_due(request_id: str, policy: CancellationPolicy, now: datetime) -> dict[str, str]:
    """Until decided a request sits in the review due index: the review sweep escalates it at
    its SLA and re-sends its message if intake never saw it."""
    return {
        "due_pk": keys.due_pk("REVIEW", keys.shard(request_id, get_settings().due_shards)),
        "due_at": iso(now + timedelta(minutes=policy.review_decision_minutes)),
    }


def open_for_review(order: Order, sub: Submission, now: datetime) -> tuple[Order, dict[str, Any]]:
    """Hold the order and record the request (status ``under_review``), atomically; the held
    order and the request as stored."""
    s = get_settings()
    request_id = new_id("rq")
    policy = s.policies.for_type(order.product_type)
    item = request_item(order, sub, request_id, UNDER_REVIEW, now) | review_due(request_id, policy, now)
    change = Change(
        order,
        None,
        "cancellation.requested",
        Actor.CUSTOMER,
        order.customer_id,
        now,
        reason=sub.reason_code.value,
        set_={"open_request_id": request_id},
        condition="attribute_not_exists(open_request_id)",
        detail={"request_id": request_id, "action": sub.action.value, "amount": sub.amount},
    )
    held = run(change, [put_op(item), customers.count_op(order.customer_id, now, "cancellation_requests")])
    return held, item


def review_message(request: Mapping[str, Any], order: Order) -> ReviewMessage:
    """The review queue's message for a stored request under review: a first request, or an
    appeal against its rejection (the appeal's text, time, and who may not decide it)."""
    appeal = request.get("appeal") if request.get("appeal_used") else None
    return ReviewMessage(
        kind="rejection_appeal" if appeal else "cancellation",
        request_id=request["request_id"],
        order_id=request["order_id"],
        customer_id=request["customer_id"],
        action=Action(request["action"]),
        reason_code=Reason(request["reason_code"]),
        description=appeal["text"] if appeal else request.get("description"),
        evidence=tuple(request.get("evidence", [])),
        refund_to=RefundTo(request.get("refund_to", RefundTo.ORIGINAL.value)),
        requested_amount=request.get("amount"),
        order_amount=order.amount,
        refundable=order.refundable,
        submitted_at=parse(appeal["at"] if appeal else request["created_at"]),
        rejected_by=request.get("rejected_by") if appeal else None,
    )


def get_request(order_id: str, request_id: str) -> ddb.Item:
    item = ddb.get(keys.order_pk(order_id), keys.request_sk(request_id))
    if item is None:
        raise DomainError("REQUEST_NOT_FOUND", {"request_id": request_id})
    return item


def list_requests(order_id: str) -> list[ddb.Item]:
    return ddb.partition(keys.order_pk(order_id), "REQ#")
