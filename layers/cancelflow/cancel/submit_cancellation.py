"""A customer asks to cancel (any of the five actions).

The decision is the domain's (``check_submission`` over ``cancellation_options``); this
module only carries it out: self-cancel, auto-approved cancel with refund, or a held order
with a request for the review queue. Whether a request is auto-approved is decided once, by
``domain/auto_approval.py`` (docs/domain.md, "Auto-approval"). Integrations: DynamoDB (one
read, one transaction), S3 (evidence checks), SQS (review or refund queue).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from cancelflow import dispatch
from cancelflow.cancel import order_view
from cancelflow.domain import auto_approval, eta
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Outcome, Submission, check_submission
from cancelflow.review import estimate
from cancelflow.settings import get_settings
from cancelflow.store import orders, requests
from cancelflow.store.codec import new_id

EvidenceCheck = Callable[[Order, tuple[str, ...]], None]


class SubmissionResult(msgspec.Struct, frozen=True):
    """What a cancellation did: its outcome, the request and order as they are now, and what to expect."""

    outcome: Outcome
    request_id: str
    order: Order
    refund_ids: tuple[str, ...] = ()  # one per trade refunded, the applied trade's first
    # what the customer is told to expect (docs/domain.md, "Review", expected review time; "Refund
    # SLA and overdue"): the decision, from the queue; the refund, from now or from that decision
    expected_review_by: datetime | None = None
    refund_eta: eta.RefundEta | None = None

    @property
    def refund_id(self) -> str | None:
        return self.refund_ids[0] if self.refund_ids else None


ATTEMPTS = 5  # decisions made again after parallel requests moved the customer's risk


def submit(
    customer_id: str,
    order_id: str,
    sub: Submission,
    now: datetime,
    lang: str = "zh-CN",
    check_evidence: EvidenceCheck | None = None,
) -> SubmissionResult:
    for _attempt in range(ATTEMPTS - 1):
        try:
            return _submit(customer_id, order_id, sub, now, lang, check_evidence)
        except orders.RiskMoved:
            # a parallel request of this customer was counted between the read and the write
            # (or support flagged them): decide again on the risk as stored now, which may send
            # this one to review (docs/domain.md, "Auto-approval")
            continue
    return _submit(customer_id, order_id, sub, now, lang, check_evidence)


def _submit(
    customer_id: str,
    order_id: str,
    sub: Submission,
    now: datetime,
    lang: str,
    check_evidence: EvidenceCheck | None,
) -> SubmissionResult:
    view, opts = order_view.options(order_id, customer_id, now, lang)
    option = check_submission(opts, sub)
    order = view.order
    if sub.evidence and check_evidence is not None:
        check_evidence(order, sub.evidence)

    if sub.action is Action.SELF_CANCEL:
        done = orders.self_cancel(order, now, reason=sub.reason_code.value)
        return SubmissionResult(Outcome.CANCELLED, new_id("rq"), done)

    # on the auto path the refund goes back to the original channel only: a request asking for
    # balance is reviewed (domain/auto_approval.refund_to_allowed)
    if option.outcome is Outcome.REFUND_STARTED and auto_approval.refund_to_allowed(sub.refund_to):
        # auto-approved by the domain rule (domain/auto_approval.py) as of now; the write
        # re-checks what may have changed since the read (orders.cancel_auto_approved), the
        # customer's risk counters included
        done, request, refund_ids = orders.cancel_auto_approved(order, sub, new_id("rq"), now, view.risk)
        for refund_id in refund_ids:
            dispatch.send_refund(refund_id)
        arrives = _refund_eta(order, sub, now)
        return SubmissionResult(
            Outcome.REFUND_STARTED, request.request_id, done, refund_ids, refund_eta=arrives
        )

    held, request = requests.open_for_review(order, sub, now)
    dispatch.send_review(requests.review_message(request, order))
    decided_by = estimate.expected_review_by(request, held, now, get_settings().policies.for_order(order))
    return SubmissionResult(
        Outcome.UNDER_REVIEW,
        request.request_id,
        held,
        expected_review_by=decided_by,
        refund_eta=_refund_eta(order, sub, decided_by),
    )


def _refund_eta(order: Order, sub: Submission, start: datetime) -> eta.RefundEta:
    """The refund on the channel it goes to, were it to start at ``start``."""
    book = get_settings().policies
    return eta.eta_on(eta.refund_channel(order, sub.refund_to), start, book.for_order(order), book)
