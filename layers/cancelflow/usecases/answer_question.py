"""A customer answers a reviewer's question about their request (the request is ``need_info``):
``POST /v1/orders/{order_id}/cancellations/{request_id}/answer`` with text and evidence.

An answer is not an appeal: it does not use up the one appeal against a rejection
(``usecases/appeal_rejection.py``), and a request without an open question takes no answer
(``NO_OPEN_QUESTION``). The review SLA clock, stopped when the question was asked, restarts
with the time that was left then; the task returns to the open pool and the request goes back
under review, in one transaction with the ``review.info_supplied`` timeline entry.
Integrations: DynamoDB (three reads, one transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.calendar import cst_display
from cancelflow.domain.reasons import MAX_DESCRIPTION
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.review import tasks, writes
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys, orders, requests
from cancelflow.store.codec import plain
from cancelflow.usecases.submit_cancellation import EvidenceCheck


def answer(
    customer_id: str,
    order_id: str,
    request_id: str,
    text: str,
    evidence: tuple[str, ...],
    now: datetime,
    check_evidence: EvidenceCheck | None = None,
) -> dict[str, Any]:
    """``check_evidence`` checks the new keys (type, size, ownership) as for a new request."""
    order = orders.require_order(order_id, customer_id)  # another customer's order: not found
    request = requests.get_request(order_id, request_id)
    if not text.strip() or len(text) > MAX_DESCRIPTION:
        raise DomainError(
            "VALIDATION_FAILED", {"field": "text", "min_length": 1, "max_length": MAX_DESCRIPTION}
        )
    if request["status"] != requests.NEED_INFO:
        raise DomainError("NO_OPEN_QUESTION", {"request_id": request_id, "status": request["status"]})
    max_files = get_settings().policies.for_type(order.product_type).evidence.max_files
    if len(request.get("evidence", [])) + len(evidence) > max_files:
        raise DomainError("EVIDENCE_INVALID", {"field": "evidence", "max_files": max_files})
    if evidence and check_evidence is not None:
        check_evidence(order, evidence)
    # the question was asked on the task of the request's current review (first, or the appeal)
    task_id = tasks.task_id_for(
        request_id, "rejection_appeal" if request.get("appeal_used") else "cancellation"
    )
    task = tasks.get_task(task_id)
    if task["status"] != tasks.WAITING:
        raise DomainError("NO_OPEN_QUESTION", {"request_id": request_id, "status": request["status"]})
    decision_due = now + timedelta(milliseconds=int(task.get("sla_remaining_ms", 0)))
    answer_item = {"at": iso(now), "text": text, "evidence": list(evidence)}
    try:
        ddb.transact(
            [
                _task_op(task, decision_due, evidence, answer_item, now),
                _request_op(order_id, request_id, decision_due, answer_item, now),
                writes.review_entry(
                    task,
                    Actor.CUSTOMER,
                    customer_id,
                    now,
                    "review.info_supplied",
                    plain({"evidence": len(evidence), "decision_due": decision_due}),
                ),
            ]
        )
    except ddb.TransactionFailed as e:  # answered twice at once, or the question timed out meanwhile
        raise DomainError("CONFLICT", {"request_id": request_id}) from e
    return {
        "request_id": request_id,
        "order_id": order_id,
        "status": requests.UNDER_REVIEW,
        "kind": "info_supplied",
        "task_id": task_id,
        "decision_due": decision_due,
        "decision_due_cst": cst_display(decision_due),
    }


def _task_op(
    task: ddb.Item,
    decision_due: datetime,
    evidence: tuple[str, ...],
    answer_item: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The task back in the open pool, due when the time left runs out; only if it still waits."""
    amount = int(task.get("requested_amount") or task.get("order_amount") or 0)
    sets = {
        "status": tasks.OPEN,
        "decision_due": iso(decision_due),
        "evidence": [*task.get("evidence", []), *evidence],
        "info_answered_at": iso(now),
        "version": int(task["version"]) + 1,
        "updated_at": iso(now),
        **tasks.open_attrs(task["task_id"], int(task["priority_class"]), decision_due, amount),
    }
    expr, names, vals = ddb.update_expression(sets)
    return {
        "Update": {
            "Key": tasks.task_key(task["task_id"]),
            "UpdateExpression": expr
            + ", answers = list_append(if_not_exists(answers, :empty), :ans) REMOVE sla_remaining_ms",
            "ConditionExpression": "#s = :w AND version = :v",
            "ExpressionAttributeNames": names | {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                vals | {":w": tasks.WAITING, ":v": int(task["version"]), ":ans": [answer_item], ":empty": []}
            ),
        }
    }


def _request_op(
    order_id: str, request_id: str, decision_due: datetime, answer_item: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The request back under review, due with the task; only while it waits for the answer."""
    return {
        "Update": {
            "Key": ddb.key(keys.order_pk(order_id), keys.request_sk(request_id)),
            "UpdateExpression": "SET #s = :ur, due_at = :due, updated_at = :now, "
            "answers = list_append(if_not_exists(answers, :empty), :ans)",
            "ConditionExpression": "#s = :ni",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":ur": requests.UNDER_REVIEW,
                    ":ni": requests.NEED_INFO,
                    ":due": iso(decision_due),
                    ":now": iso(now),
                    ":ans": [answer_item],
                    ":empty": [],
                }
            ),
        }
    }
