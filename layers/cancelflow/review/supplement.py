"""The customer answers a reviewer's question (``need_info``).

The answer comes through the route customers already have for adding to a request,
``POST /v1/orders/{order_id}/cancellations/{request_id}/appeal`` (supplementary text and
evidence): while the request waits for information that body is the answer and does not use
up the one appeal against a rejection (docs/review.md). The SLA clock restarts with the time
that was left when the question was asked, and the task returns to the open pool.
Integrations: DynamoDB (one transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.review import tasks, writes
from cancelflow.store import ddb, keys, requests
from cancelflow.store.codec import plain


def answer(
    order: Order,
    request: ddb.Item,
    text: str,
    evidence: tuple[str, ...],
    refund_to: RefundTo,
    now: datetime,
) -> dict[str, Any]:
    task_id = tasks.task_id_for(
        request["request_id"], "rejection_appeal" if request.get("appeal_used") else "cancellation"
    )
    task = tasks.get_task(task_id)
    if task["status"] != tasks.WAITING:
        raise DomainError(
            "APPEAL_NOT_ALLOWED", {"request_id": request["request_id"], "status": request["status"]}
        )
    remaining = timedelta(milliseconds=int(task.get("sla_remaining_ms", 0)))
    decision_due = now + remaining
    answer_item = {"at": iso(now), "text": text, "evidence": list(evidence)}
    amount = int(task.get("requested_amount") or task.get("order_amount") or 0)
    version = int(task["version"]) + 1
    task_sets = {
        "status": tasks.OPEN,
        "decision_due": iso(decision_due),
        "refund_to": refund_to.value,
        "evidence": [*task.get("evidence", []), *evidence],
        "info_answered_at": iso(now),
        "version": version,
        "updated_at": iso(now),
        **tasks.open_attrs(task_id, int(task["priority_class"]), decision_due, amount),
    }
    expr, names, vals = ddb.update_expression(task_sets)
    task_op = {
        "Update": {
            "Key": tasks.task_key(task_id),
            "UpdateExpression": expr
            + ", answers = list_append(if_not_exists(answers, :empty), :ans) REMOVE sla_remaining_ms",
            "ConditionExpression": "#s = :w AND version = :v",
            "ExpressionAttributeNames": names | {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                vals | {":w": tasks.WAITING, ":v": int(task["version"]), ":ans": [answer_item], ":empty": []}
            ),
        }
    }
    request_op = {
        "Update": {
            "Key": ddb.key(keys.order_pk(order.order_id), keys.request_sk(request["request_id"])),
            "UpdateExpression": "SET #s = :ur, due_at = :due, refund_to = :rt, updated_at = :now, "
            "answers = list_append(if_not_exists(answers, :empty), :ans)",
            "ConditionExpression": "#s = :ni",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":ur": requests.UNDER_REVIEW,
                    ":ni": requests.NEED_INFO,
                    ":due": iso(decision_due),
                    ":rt": refund_to.value,
                    ":now": iso(now),
                    ":ans": [answer_item],
                    ":empty": [],
                }
            ),
        }
    }
    entry = writes.review_entry(
        task,
        Actor.CUSTOMER,
        order.customer_id,
        now,
        "review.info_supplied",
        plain({"evidence": len(evidence), "decision_due": decision_due}),
    )
    try:
        ddb.transact([task_op, request_op, entry])
    except ddb.TransactionFailed as e:
        raise DomainError("CONFLICT", {"request_id": request["request_id"]}) from e
    return {
        "request_id": request["request_id"],
        "order_id": order.order_id,
        "status": requests.UNDER_REVIEW,
        "kind": "info_supplied",
        "task_id": task_id,
        "refund_to": refund_to.value,
        "decision_due": iso(decision_due),
    }
