"""A customer appeals against the rejection of their request:
``POST /v1/orders/{order_id}/cancellations/{request_id}/appeal`` (docs/review.md).

Once per request, only after ``rejected``. The order is held again (delivery waits, as for the
first review), the request goes back under review with a new SLA, and a ``rejection_appeal``
message names who rejected it so that only another, senior reviewer decides. The customer may
ask for the refund to go to their balance instead (the alternative remedy). A request waiting
for the answer to a reviewer's question is not appealed but answered
(``usecases/answer_question.py``): here that is ``INFO_REQUESTED``.
Integrations: DynamoDB (one read, one transaction), SQS (the review queue).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow import dispatch
from cancelflow.clock import iso
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import MAX_DESCRIPTION
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError
from cancelflow.review import tasks
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys, orders, requests
from cancelflow.usecases.submit_cancellation import EvidenceCheck


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
    policy = get_settings().policies.for_type(order.product_type)
    if not text.strip() or len(text) > MAX_DESCRIPTION:
        raise DomainError(
            "VALIDATION_FAILED", {"field": "text", "min_length": 1, "max_length": MAX_DESCRIPTION}
        )
    if len(request.get("evidence", [])) + len(evidence) > policy.evidence.max_files:
        raise DomainError("EVIDENCE_INVALID", {"field": "evidence", "max_files": policy.evidence.max_files})
    if request["status"] == requests.NEED_INFO:  # a question is open: it takes an answer, not an appeal
        raise DomainError("INFO_REQUESTED", {"request_id": request_id, "status": request["status"]})
    if request["status"] != requests.REJECTED or request.get("appeal_used"):
        raise DomainError("APPEAL_NOT_ALLOWED", {"request_id": request_id, "status": request["status"]})
    if order.status is OrderStatus.CANCELLED:
        raise DomainError("ORDER_CANCELLED", {"status": order.status.value})
    if order.held:
        raise DomainError("CANCELLATION_IN_PROGRESS", {"request_id": order.open_request_id})
    if order.refundable <= 0:
        raise DomainError("NOTHING_TO_REFUND", {"max_amount": 0})

    due = requests.review_due(request_id, policy, now)
    all_evidence = (*request.get("evidence", []), *evidence)
    appeal_item = {"at": iso(now), "text": text, "evidence": list(evidence), "refund_to": refund_to.value}
    request_op = {
        "Update": {
            "Key": ddb.key(keys.order_pk(order_id), keys.request_sk(request_id)),
            "UpdateExpression": "SET #s = :ur, appeal_used = :t, appeal = :ap, refund_to = :rt, "
            "evidence = :ev, due_pk = :dp, due_at = :due, updated_at = :now",
            # once per request, decided against the stored request
            "ConditionExpression": "#s = :rj AND appeal_used = :f",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":ur": requests.UNDER_REVIEW,
                    ":rj": requests.REJECTED,
                    ":t": True,
                    ":f": False,
                    ":ap": appeal_item,
                    ":rt": refund_to.value,
                    ":ev": list(all_evidence),
                    ":dp": due["due_pk"],
                    ":due": due["due_at"],
                    ":now": iso(now),
                }
            ),
        }
    }
    change = orders.Change(
        order,
        None,
        "cancellation.appealed",
        Actor.CUSTOMER,
        customer_id,
        now,
        reason=request["reason_code"],
        set_={"open_request_id": request_id},  # held again while a senior reviews
        condition="attribute_not_exists(open_request_id)",
        detail={"request_id": request_id, "refund_to": refund_to.value, "evidence": len(evidence)},
    )
    try:
        held = orders.run(change, [request_op])
    except ddb.TransactionFailed as e:
        raise DomainError("APPEAL_NOT_ALLOWED", {"request_id": request_id}) from e
    appealed = {
        **request,
        "appeal_used": True,
        "appeal": appeal_item,
        "evidence": list(all_evidence),
        "refund_to": refund_to.value,
    }
    dispatch.send_review(requests.review_message(appealed, held))
    return {
        "request_id": request_id,
        "order_id": order_id,
        "status": requests.UNDER_REVIEW,
        "kind": "rejection_appeal",
        "task_id": tasks.task_id_for(request_id, "rejection_appeal"),
        "refund_to": refund_to.value,
    }
