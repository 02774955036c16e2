"""A customer answers a reviewer's question about their request (the request is ``need_info``):
``POST /v1/orders/{order_id}/cancellations/{request_id}/answer`` with text and evidence.

An answer is not an appeal: it does not use up the one appeal against a rejection
(``cancel/appeal_rejection.py``), and a request without an open question takes no answer
(``NO_OPEN_QUESTION``). The review SLA clock, stopped when the question was asked, restarts
with the time that was left then; the task returns to the open pool and the request goes back
under review, in one transaction with the ``review.info_supplied`` timeline entry.
Integrations: DynamoDB (three reads, one transaction: ``store/request_changes.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.cancel.submit_cancellation import EvidenceCheck
from cancelflow.domain.calendar import cst_display
from cancelflow.domain.reasons import MAX_DESCRIPTION
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import orders, request_changes, requests, tasks


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
            ErrorCode.VALIDATION_FAILED, {"field": "text", "min_length": 1, "max_length": MAX_DESCRIPTION}
        )
    if request.status is not requests.NEED_INFO:
        raise DomainError(
            ErrorCode.NO_OPEN_QUESTION, {"request_id": request_id, "status": request.status.value}
        )
    max_files = get_settings().policies.for_order(order).evidence.max_files
    if len(request.evidence) + len(evidence) > max_files:
        raise DomainError(ErrorCode.EVIDENCE_INVALID, {"field": "evidence", "max_files": max_files})
    if evidence and check_evidence is not None:
        check_evidence(order, evidence)
    # the question was asked on the task of the request's current review (first, or the appeal)
    task_id = tasks.task_id_for(request_id, "rejection_appeal" if request.appeal_used else "cancellation")
    task = tasks.get(task_id)
    if task.status is not tasks.WAITING:
        raise DomainError(
            ErrorCode.NO_OPEN_QUESTION, {"request_id": request_id, "status": request.status.value}
        )
    # the SLA clock restarts with the time that was left when the question was asked
    decision_due = now + timedelta(milliseconds=task.sla_remaining_ms or 0)
    request_changes.answer(request, task, text, evidence, decision_due, now)
    return {
        "request_id": request_id,
        "order_id": order_id,
        "status": requests.UNDER_REVIEW.value,
        "kind": "info_supplied",
        "task_id": task_id,
        "decision_due": decision_due,
        "decision_due_cst": cst_display(decision_due),
    }
