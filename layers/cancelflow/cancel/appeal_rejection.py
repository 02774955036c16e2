"""A customer appeals against the rejection of their request:
``POST /v1/orders/{order_id}/cancellations/{request_id}/appeal`` (docs/review.md).

Once per request, only after ``rejected`` (the rule: ``domain/appeals.py``). The order is held
again (delivery waits, as for the first review), the request goes back under review with a new
SLA, and a ``rejection_appeal`` message names who rejected it so that only another, senior
reviewer decides. The customer may
ask for the refund to go to their balance instead (the alternative remedy). A request waiting
for the answer to a reviewer's question is not appealed but answered
(``cancel/answer_question.py``): here that is ``INFO_REQUESTED``.
Integrations: DynamoDB (two reads, one transaction: ``store/request_changes.py``), SQS
(the review queue).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow import dispatch
from cancelflow.cancel.submit_cancellation import EvidenceCheck
from cancelflow.domain.appeals import check_rejection_appeal
from cancelflow.domain.products import RefundTo
from cancelflow.review import estimate
from cancelflow.settings import get_settings
from cancelflow.store import orders, request_changes, requests, tasks


def appeal(
    customer_id: str,
    order_id: str,
    request_id: str,
    text: str,
    evidence: tuple[str, ...],
    refund_to: RefundTo,
    now: datetime,
    check_evidence: EvidenceCheck | None = None,
) -> dict[str, Any]:
    """``check_evidence`` checks the new keys (type, size, ownership) as for a new request."""
    order = orders.require_order(order_id, customer_id)
    if evidence and check_evidence is not None:
        check_evidence(order, evidence)
    request = requests.get_request(order_id, request_id)
    policy = get_settings().policies.for_order(order)
    check_rejection_appeal(
        order,
        request_id,
        request.status.value,
        rejected=request.status is requests.REJECTED,
        awaiting_answer=request.status is requests.NEED_INFO,
        appeal_used=request.appeal_used,
        text=text,
        evidence=len(request.evidence) + len(evidence),
        policy=policy,
    )
    held, appealed = request_changes.appeal(order, request, text, evidence, refund_to, now)
    dispatch.send_review(requests.review_message(appealed, held))
    review_by = estimate.expected_review_by(appealed, held, now, get_settings().policies.for_order(held))
    return {
        "expected_review_by": review_by,
        "request_id": request_id,
        "order_id": order_id,
        "status": requests.UNDER_REVIEW.value,
        "kind": "rejection_appeal",
        "task_id": tasks.task_id_for(request_id, "rejection_appeal"),
        "refund_to": refund_to.value,
    }
