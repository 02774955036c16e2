"""Appeal rules (docs/domain.md, "Appeals").

Two kinds of appeal, both refunds only (the value has moved, or the answer was no):

- The appeal of a delivered order: while it is delivered and its confirmation window runs (the
  deadline shown holds, swept or not), if the product type allows appeals and something is left
  to refund. It needs a platform fault, or a justified cause (``other``) with evidence; with the
  default policy every appeal needs at least one image.
- The appeal against a rejection: once per request, by its customer, only while the request is
  ``rejected`` (one waiting for the answer to a reviewer's question takes the answer instead),
  the order neither cancelled nor held by another request, something left to refund. A senior
  reviewer who did not reject it decides.

A rejection stands on the order (``models.Rejection``): while it stands, the same ask anew is
refused with ``REQUEST_REJECTED_APPEAL_INSTEAD`` (naming the request to appeal) or, once its
appeal was decided too, ``REQUEST_REJECTED_FINAL``. An upheld appeal ends it.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.actions import Action
from cancelflow.domain.after_sales import confirmation_ends, confirmed_at
from cancelflow.domain.models import Order, Rejection
from cancelflow.domain.policy import CancellationPolicy, EvidenceRules
from cancelflow.domain.reasons import MAX_DESCRIPTION, PLATFORM_FAULT_REASONS, Reason
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, ErrorCode

# Appeals need a platform fault, or a justified cause ("other") with evidence.
APPEAL_REASONS: tuple[Reason, ...] = (*PLATFORM_FAULT_REASONS, Reason.OTHER)

APPEAL_INSTEAD = ErrorCode.REQUEST_REJECTED_APPEAL_INSTEAD
FINAL = ErrorCode.REQUEST_REJECTED_FINAL

# Which actions ask for the same thing again after a rejection: a rejected cancellation is not
# asked anew as a stop-delivery once delivery started (nor the reverse). Other remedies (an
# appeal of the delivered goods after a rejected cancellation) are their own.
_SAME_ASK = {"request": "cancel", "stop_delivery": "cancel", "appeal": "appeal", "after_sales": "after_sales"}


# ---------------------------------------------------------------- the appeal of a delivered order


def not_allowed_code(order: Order, now: datetime, policy: CancellationPolicy) -> ErrorCode | None:
    """Why an appeal of the delivered goods is refused now; ``None``: allowed. Only for a paid
    order that is not cancelled nor held (``domain/options.py`` decides those first)."""
    if order.status is OrderStatus.COMPLETED:
        # its confirmation window is over, swept or not: the same answer before and after the
        # completion sweep writes it (after-sales is the way on)
        return ErrorCode.APPEAL_WINDOW_CLOSED
    if order.status is not OrderStatus.DELIVERED:
        return ErrorCode.NOT_DELIVERED
    if not policy.appeal_after_delivery:
        return ErrorCode.APPEALS_DISABLED
    confirmed = confirmed_at(order, policy)
    if confirmed is not None and now >= confirmed:
        return ErrorCode.APPEAL_WINDOW_CLOSED  # the shown deadline holds, swept or not
    if order.refundable <= 0:
        return ErrorCode.NOTHING_TO_REFUND
    return None


def deadline(order: Order, policy: CancellationPolicy) -> datetime | None:
    """The end of the confirmation window after delivery: the last moment to appeal."""
    return confirmation_ends(order, policy)


def evidence_required(action: Action, rules: EvidenceRules) -> bool:
    """What the options show: an appeal needs evidence when the policy says so."""
    return action is Action.APPEAL and rules.required_for_appeal


def evidence_needed(action: Action, reason: Reason, required: bool) -> bool:
    """What a submission must bring: the evidence the options require (``required``), and for an
    appeal on a justified cause (``other``) always some, whatever the policy."""
    return required or (action is Action.APPEAL and reason is Reason.OTHER)


# ---------------------------------------------------------------- what a rejection allows


def after_rejection(action: Action, order: Order) -> ErrorCode | None:
    """After a rejection the way on is its appeal (a senior decides), not the same request anew:
    while the rejection stands, whether its appeal is unused or decided. ``None``: no rejection
    stands against this ``action``."""
    r = order.rejection
    if r is None or _SAME_ASK.get(action.value) != _SAME_ASK.get(r.action):
        return None
    return FINAL if r.appeal_used else APPEAL_INSTEAD


def appeal_instead(order: Order, code: ErrorCode) -> str | None:
    """The request to appeal instead, when ``code`` says so."""
    r = order.rejection
    return r.request_id if code == APPEAL_INSTEAD and r is not None else None


def rejection(request_id: str, action: str, appeal_used: bool) -> Rejection:
    """What a rejection leaves on the order; ``action`` as reviewed (a request that turned into
    an appeal counts as an appeal); after its appeal was decided too, the rejection is final."""
    return Rejection(request_id, action, appeal_used=appeal_used)


def ends_rejection(order: Order, request_id: str) -> bool:
    """An upheld appeal against the rejection that stands on the order ends that rejection."""
    return order.rejection is not None and order.rejection.request_id == request_id


# ---------------------------------------------------------------- the appeal against a rejection


def check_rejection_appeal(
    order: Order,
    request_id: str,
    status: str,
    *,
    rejected: bool,
    awaiting_answer: bool,
    appeal_used: bool,
    text: str,
    evidence: int,
    policy: CancellationPolicy,
) -> None:
    """Raise why the appeal against the rejection of request ``request_id`` is refused.

    ``status``: the request's, as stored (for the error's details); ``rejected``: it is
    rejected; ``awaiting_answer``: a reviewer's question is open; ``evidence``: the files on the
    request plus the new ones."""
    if not text.strip() or len(text) > MAX_DESCRIPTION:
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, {"field": "text", "min_length": 1, "max_length": MAX_DESCRIPTION}
        )
    if evidence > policy.evidence.max_files:
        raise DomainError(
            ErrorCode.EVIDENCE_INVALID, {"field": "evidence", "max_files": policy.evidence.max_files}
        )
    if awaiting_answer:  # a question is open: it takes an answer, not an appeal
        raise DomainError(ErrorCode.INFO_REQUESTED, {"request_id": request_id, "status": status})
    if not rejected or appeal_used:  # once per request, only after a rejection
        raise DomainError(ErrorCode.APPEAL_NOT_ALLOWED, {"request_id": request_id, "status": status})
    if order.status is OrderStatus.CANCELLED:
        raise DomainError(ErrorCode.ORDER_CANCELLED, {"status": order.status.value})
    if order.held:
        raise DomainError(ErrorCode.CANCELLATION_IN_PROGRESS, {"request_id": order.open_request_id})
    if order.refundable <= 0:
        raise DomainError(ErrorCode.NOTHING_TO_REFUND, {"max_amount": 0})
