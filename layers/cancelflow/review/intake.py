"""A review message becomes exactly one review task.

One BatchGetItem (order, request, the customer's day statistics) and one transaction (the
task, conditional on not existing, plus its history entry). A redelivered or duplicated
message finds the task there and does nothing, so SQS at-least-once delivery is harmless.
Integrations: DynamoDB.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow.clock import iso, parse
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action
from cancelflow.domain.priority import URGENT, priority_class
from cancelflow.domain.states import VALUE_MOVED, Actor
from cancelflow.messages import ReviewMessage
from cancelflow.review import tasks
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, history, keys, requests
from cancelflow.store.codec import decode, plain


class UnprocessableMessage(Exception):
    """The message names something that does not exist: retrying cannot help (-> DLQ)."""


def effective_action(action: str, order: Order) -> str:
    """A cancel or stop-delivery request whose delivery completed anyway becomes an appeal:
    a delivered order is never cancelled."""
    if action in (Action.REQUEST.value, Action.STOP_DELIVERY.value) and order.status in VALUE_MOVED:
        return Action.APPEAL.value
    return action


def accept(msg: ReviewMessage, now: datetime) -> bool:
    """Create the task for ``msg``; False when it already exists (or its request is settled)."""
    s = get_settings()
    book = s.policies
    order_key = (keys.order_pk(msg.order_id), keys.ORDER)
    req_key = (keys.order_pk(msg.order_id), keys.request_sk(msg.request_id))
    risk_keys = customers.risk_keys(msg.customer_id, now, book.risk.window_days)
    found = ddb.batch_get([order_key, req_key, *risk_keys])
    if order_key not in found or req_key not in found:
        raise UnprocessableMessage(f"no order/request for {msg.request_id}")
    order = decode(Order, found[order_key])
    request = found[req_key]
    if request["status"] not in requests.PENDING_REVIEW:
        return False  # decided meanwhile: a late duplicate must not reopen it
    risk = customers.risk_from(found, msg.customer_id, book.risk.window_days)
    policy = book.for_type(order.product_type)

    task_id = tasks.task_id_for(msg.request_id, msg.kind)
    action = effective_action(msg.action.value, order)
    klass = priority_class(action, msg.reason_code, order.status)  # the order as stored now
    submitted = msg.submitted_at
    decision_due = (
        parse(request["due_at"])
        if request.get("due_at")
        else submitted + timedelta(minutes=policy.review_decision_minutes)
    )
    amount = msg.requested_amount or msg.order_amount
    item = {
        "pk": keys.task_pk(task_id),
        "sk": tasks.TASK_SK,
        "type": "review_task",
        "task_id": task_id,
        "kind": msg.kind,
        "request_id": msg.request_id,
        "order_id": msg.order_id,
        "customer_id": msg.customer_id,
        "product_type": order.product_type.value,
        "action": action,
        "converted_from": msg.action.value if action != msg.action.value else None,
        "reason_code": msg.reason_code.value,
        "description": msg.description,
        "evidence": list(msg.evidence),
        "refund_to": msg.refund_to.value,
        "requested_amount": msg.requested_amount,
        "order_amount": msg.order_amount,
        "status": tasks.OPEN,
        "priority_class": klass,
        "escalated": False,
        # appeals against a rejection go to a senior who did not reject
        "senior_only": msg.kind == "rejection_appeal",
        "rejected_by": msg.rejected_by,
        "strict_review": risk.high_risk(book.risk),
        "risk": {
            "window_days": risk.window_days,
            "orders": risk.orders,
            "cancellation_requests": risk.cancellation_requests,
            "flagged": risk.flagged,
        },
        "submitted_at": iso(submitted),
        "created_at": iso(now),
        "first_response_due": (
            iso(submitted + timedelta(minutes=policy.review_first_response_minutes))
            if klass == URGENT
            else None
        ),
        "decision_due": iso(decision_due),
        "claims": 0,
        "version": 1,
        **tasks.open_attrs(task_id, klass, decision_due, amount),
    }
    entry = history.entry_put(
        msg.order_id,
        at=now,
        suffix=f"{task_id}#v000001",
        event="review.task_created",
        actor=Actor.SYSTEM.value,
        actor_id="review-intake",
        reason=msg.reason_code.value,
        detail=plain(
            {
                "task_id": task_id,
                "request_id": msg.request_id,
                "kind": msg.kind,
                "action": action,
                "converted_from": item["converted_from"],
                "decision_due": decision_due,
            }
        ),
    )
    try:
        ddb.transact(
            [{"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}, entry]
        )
    except ddb.TransactionFailed as e:
        if e.reasons and e.reasons[0] == "ConditionalCheckFailed":
            return False  # the task exists: a redelivery or duplicate
        raise
    return True
