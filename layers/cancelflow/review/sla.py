"""Overdue reviews: flagged and escalated (urgent, senior-only), never silently forgotten.

The schedules step sweeps the sparse ``DUE#REVIEW#nn`` index (request items whose review is
due) and calls ``escalate_overdue`` for each. Every call moves the request's ``due_at`` on by
one decision window, conditional on the value it read: so an escalated request does not come
back in every sweep (a backlog of escalated tasks cannot starve new ones out of a bounded
sweep), two overlapping sweeps act once, and a task that is still not decided is looked at
again later. Integrations: DynamoDB, SQS (the review queue, if intake never saw the request).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow import dispatch
from cancelflow.clock import iso, parse
from cancelflow.domain.models import Order
from cancelflow.domain.priority import URGENT
from cancelflow.domain.states import Actor
from cancelflow.review import tasks
from cancelflow.review.claims import LEASE_ATTRS
from cancelflow.settings import get_settings
from cancelflow.store import ddb, history, keys, requests
from cancelflow.store.codec import decode


def _rearm_op(request: ddb.Item, next_due: datetime, now: datetime) -> dict[str, Any]:
    """Push the request's due time on, only if no other sweep did it first."""
    return {
        "Update": {
            "Key": ddb.key(keys.order_pk(request["order_id"]), keys.request_sk(request["request_id"])),
            "UpdateExpression": "SET due_at = :next, escalated_at = if_not_exists(escalated_at, :now), "
            "#s = :ur",
            "ConditionExpression": "due_at = :seen AND #s IN (:ur, :ni)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":next": iso(next_due),
                    ":now": iso(now),
                    ":seen": request["due_at"],
                    ":ur": requests.UNDER_REVIEW,
                    ":ni": requests.NEED_INFO,
                }
            ),
        }
    }


def _escalate_ops(task: ddb.Item, now: datetime) -> list[dict[str, Any]]:
    """Urgent, for a senior, and back in the open pool if it waited for the customer in vain."""
    version = int(task["version"]) + 1
    due = parse(task["decision_due"])
    if task["status"] == tasks.WAITING:
        due = now  # the customer did not answer: decide now, with what there is
    amount = int(task.get("requested_amount") or task.get("order_amount") or 0)
    sets = {
        "escalated": True,
        "escalated_at": iso(now),
        "senior_only": True,
        "priority_class": URGENT,
        "status": tasks.OPEN,
        "decision_due": iso(due),
        "version": version,
        **tasks.open_attrs(task["task_id"], URGENT, due, amount),
    }
    # From now on only a senior may decide it: a plain reviewer's lease is ended (it could only
    # block the seniors until it ran out, on a task already late); a senior's is kept. The write
    # is conditioned on the version read, so the holder seen is the holder at the write.
    ends_lease = task.get("lease_holder") is not None and task.get("lease_senior") is not True
    expr, names, vals = ddb.update_expression(sets, LEASE_ATTRS if ends_lease else ())
    return [
        {
            "Update": {
                "Key": tasks.task_key(task["task_id"]),
                "UpdateExpression": expr,
                "ConditionExpression": "version = :v AND #s <> :d",
                "ExpressionAttributeNames": names | {"#s": "status"},
                "ExpressionAttributeValues": ddb.values(
                    vals | {":v": int(task["version"]), ":d": tasks.DECIDED}
                ),
            }
        },
        history.entry_put(
            task["order_id"],
            at=now,
            suffix=f"{task['task_id']}#v{version:06d}",
            event="review.escalated",
            actor=Actor.SYSTEM.value,
            actor_id="review-sla",
            reason="info_not_supplied" if task["status"] == tasks.WAITING else "review_overdue",
            detail={
                "task_id": task["task_id"],
                "request_id": task["request_id"],
                "decision_due": task["decision_due"],
            },
        ),
    ]


def escalate_overdue(request_or_task_item: dict[str, Any], now: datetime) -> bool:
    """Flag one overdue review. True when this call changed something (escalated the task or
    re-sent the message); False when it was not overdue, already settled, or another sweep won."""
    item = request_or_task_item
    order_id, request_id = item["order_id"], item["request_id"]
    if item.get("type") != "request":
        item = ddb.get(keys.order_pk(order_id), keys.request_sk(request_id)) or {}
    if (
        item.get("status") not in requests.PENDING_REVIEW
        or not item.get("due_at")
        or parse(item["due_at"]) > now
    ):
        return False
    book = get_settings().policies
    order_key = (keys.order_pk(order_id), keys.ORDER)
    task_id = tasks.task_id_for(request_id, "rejection_appeal" if item.get("appeal_used") else "cancellation")
    task_key = (keys.task_pk(task_id), tasks.TASK_SK)
    found = ddb.batch_get([order_key, task_key])
    if order_key not in found:
        return False  # nothing to review without its order (never expected)
    order = decode(Order, found[order_key])
    next_due = now + timedelta(minutes=book.for_type(order.product_type).review_decision_minutes)
    rearm = _rearm_op(item, next_due, now)
    task = found.get(task_key)
    if task is not None and task["status"] == tasks.DECIDED:
        return False
    if task is None or (task.get("escalated") and task["status"] != tasks.WAITING):
        try:
            ddb.transact([rearm])
        except ddb.TransactionFailed:
            return False  # another sweep took it
        if task is None:
            dispatch.send_review(requests.review_message(item, order))  # intake never saw it: again
            return True
        return False
    try:
        ddb.transact([rearm, *_escalate_ops(task, now)])
    except ddb.TransactionFailed:
        return False
    return True
