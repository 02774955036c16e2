"""A customer asks to cancel (any of the five actions).

The decision is the domain's (``check_submission`` over ``cancellation_options``); this
module only carries it out: self-cancel, auto-approved cancel with refund, or a held order
with a request for the review queue. Integrations: DynamoDB (one read, one transaction),
S3 (evidence checks), SQS (review or refund queue).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Outcome, Submission, check_submission
from cancelflow.domain.states import Actor
from cancelflow.store import customers, orders, requests
from cancelflow.store.codec import new_id
from cancelflow.usecases import order_view

EvidenceCheck = Callable[[Order, tuple[str, ...]], None]


@dataclass(frozen=True)
class SubmissionResult:
    outcome: Outcome
    request_id: str
    order: Order
    refund_id: str | None = None


def submit(
    customer_id: str,
    order_id: str,
    sub: Submission,
    now: datetime,
    lang: str = "zh-CN",
    check_evidence: EvidenceCheck | None = None,
) -> SubmissionResult:
    view, opts = order_view.options(order_id, customer_id, now, lang)
    option = check_submission(opts, sub)
    order = view.order
    if sub.evidence and check_evidence is not None:
        check_evidence(order, sub.evidence)

    if sub.action is Action.SELF_CANCEL:
        done = orders.self_cancel(order, now, reason=sub.reason_code.value)
        return SubmissionResult(Outcome.CANCELLED, new_id("rq"), done)

    if option.outcome is Outcome.REFUND_STARTED:
        request_id = new_id("rq")
        item = requests.request_item(order, sub, request_id, requests.AUTO_APPROVED, now)
        # The window is re-checked by the write itself: stock still unlocked, nobody holding it.
        done, refund_id = orders.cancel_with_refund(
            order,
            now,
            actor=Actor.CUSTOMER,
            actor_id=customer_id,
            reason=sub.reason_code.value,
            refund_to=sub.refund_to,
            request_id=request_id,
            # counted like a reviewed request: otherwise a customer who always cancels inside the
            # window would never reach the risk threshold that ends auto-approval
            extra=[requests.put_op(item), customers.count_op(customer_id, now, "cancellation_requests")],
            condition="stock_locked = :f AND attribute_not_exists(open_request_id)",
            cond_values={":f": False},
        )
        dispatch.send_refund(refund_id)
        return SubmissionResult(Outcome.REFUND_STARTED, request_id, done, refund_id)

    held, request = requests.open_for_review(order, sub, now)
    dispatch.send_review(requests.review_message(request, order))
    return SubmissionResult(Outcome.UNDER_REVIEW, request["request_id"], held)
