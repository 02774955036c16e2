"""The one answer to "what may this customer do with this order now, and if not, why".

``cancellation_options`` is what ``GET .../cancellation-options`` shows, and
``check_submission`` is what every ``POST .../cancellations`` passes through: both read the
same ``_evaluate`` so what the options say is allowed is exactly what a POST accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from cancelflow.domain.calendar import CST_DESCRIPTION, cst_display
from cancelflow.domain.eta import RefundEta, refund_eta
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order, RiskProfile
from cancelflow.domain.policy import CancellationPolicy, PolicyBook
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import (
    CUSTOMER_REASONS,
    DESCRIPTION_HINT,
    PLATFORM_FAULT_REASONS,
    Reason,
    check_description,
    fitting,
)
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, message


class Action(StrEnum):
    SELF_CANCEL = "self_cancel"
    REQUEST = "request"
    STOP_DELIVERY = "stop_delivery"
    APPEAL = "appeal"
    AFTER_SALES = "after_sales"


ALL_REASONS = CUSTOMER_REASONS + PLATFORM_FAULT_REASONS
_REASONS: dict[Action, tuple[Reason, ...]] = {
    Action.SELF_CANCEL: CUSTOMER_REASONS,
    Action.REQUEST: ALL_REASONS,
    Action.STOP_DELIVERY: ALL_REASONS,
    # Appeals need a platform fault, or a justified cause ("other") with evidence.
    Action.APPEAL: (*PLATFORM_FAULT_REASONS, Reason.OTHER),
    Action.AFTER_SALES: ALL_REASONS,
}
# Remedies for goods whose value moved: refunds only, and they may be partial.
PARTIAL_REFUND_ACTIONS = frozenset({Action.APPEAL, Action.AFTER_SALES})
# Which actions ask for the same thing again after a rejection: a rejected cancellation is not
# asked anew as a stop-delivery once delivery started (nor the reverse). Other remedies (an
# appeal of the delivered goods after a rejected cancellation) are their own.
_SAME_ASK = {"request": "cancel", "stop_delivery": "cancel", "appeal": "appeal", "after_sales": "after_sales"}


class Outcome(StrEnum):
    CANCELLED = "cancelled"  # self-cancel: nothing to refund
    REFUND_STARTED = "refund_started"  # auto-approved: cancelled, refund created
    UNDER_REVIEW = "under_review"


@dataclass(frozen=True)
class ActionOption:
    action: Action
    allowed: bool
    code: str | None = None  # why not, machine-readable
    message: str | None = None  # why not, for people (Accept-Language)
    needs_review: bool = False
    outcome: Outcome | None = None  # what a POST would do right now
    reasons: tuple[Reason, ...] = ()
    description_hint: str | None = None
    evidence_required: bool = False
    max_evidence: int = 0
    partial_amount_allowed: bool = False
    max_amount: int = 0
    deadline: datetime | None = None
    deadline_cst: str | None = field(default=None, metadata={"description": CST_DESCRIPTION})
    expected_review_minutes: int | None = None
    refund_eta: tuple[RefundEta, ...] = ()
    appeal_request_id: str | None = None  # refused after a rejection: appeal this request instead


@dataclass(frozen=True)
class CancellationOptions:
    order_id: str
    status: OrderStatus
    evaluated_at: datetime
    high_risk: bool
    actions: tuple[ActionOption, ...]

    def get(self, action: Action) -> ActionOption:
        return next(a for a in self.actions if a.action is action)


def _deny(action: Action, code: str, lang: str, appeal: str | None = None) -> ActionOption:
    return ActionOption(
        action=action, allowed=False, code=code, message=message(code, lang), appeal_request_id=appeal
    )


def _rejected(action: Action, order: Order) -> str | None:
    """After a rejection the way on is its appeal (a senior decides), not the same request anew:
    while the rejection stands, whether its appeal is unused or decided."""
    r = order.rejection
    if r is None or _SAME_ASK.get(action.value) != _SAME_ASK.get(r.action):
        return None
    return "REQUEST_REJECTED_FINAL" if r.appeal_used else "REQUEST_REJECTED_APPEAL_INSTEAD"


def _not_allowed_code(action: Action, order: Order, now: datetime, policy: CancellationPolicy) -> str | None:
    """The single table of "why not". ``None`` means allowed."""
    status = order.status
    if order.is_overdue_unpaid(now) or (
        status is OrderStatus.CANCELLED and order.cancel_reason == PAYMENT_TIMEOUT_REASON
    ):
        return "ORDER_EXPIRED"
    if status is OrderStatus.CANCELLED:
        return "ORDER_CANCELLED"
    if action is Action.SELF_CANCEL:
        return None if status is OrderStatus.PENDING_PAYMENT else "ALREADY_PAID"
    if status is OrderStatus.PENDING_PAYMENT:
        return "NOT_PAID"
    if order.held:
        return "CANCELLATION_IN_PROGRESS"
    if action is Action.REQUEST:
        return {
            OrderStatus.PAID: None,
            OrderStatus.DELIVERING: "ORDER_DELIVERING",
        }.get(status, "ALREADY_DELIVERED")
    if action is Action.STOP_DELIVERY:
        if status is OrderStatus.DELIVERING:
            return None
        return (
            "ALREADY_DELIVERED"
            if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
            else "NOT_DELIVERING"
        )
    confirmed = _confirmed_at(order, policy)
    if action is Action.APPEAL:
        if status is not OrderStatus.DELIVERED:
            return "NOT_DELIVERED"
        if not policy.appeal_after_delivery:
            return "APPEALS_DISABLED"
        if confirmed is not None and now >= confirmed:
            return "APPEAL_WINDOW_CLOSED"  # the shown deadline holds, swept or not
        if order.refundable <= 0:
            return "NOTHING_TO_REFUND"
        return None
    # after-sales: a delivered order past its confirmation window counts as completed
    if confirmed is None or now < confirmed:
        return "NOT_COMPLETED"
    if now > confirmed + timedelta(days=policy.after_sales_days):
        return "AFTER_SALES_WINDOW_CLOSED"
    return None if order.refundable > 0 else "NOTHING_TO_REFUND"


def _confirmed_at(order: Order, policy: CancellationPolicy) -> datetime | None:
    """When the order is (or counts as) completed: its completion, or else the end of the
    confirmation window after delivery, even before the completion sweep has run (as an
    unpaid order counts as expired at its deadline)."""
    if order.completed_at is not None:
        return order.completed_at
    if order.status is OrderStatus.DELIVERED and order.delivered_at is not None:
        return order.delivered_at + timedelta(hours=policy.confirmation_window_hours)
    return None


def _deadline(action: Action, order: Order, policy: CancellationPolicy) -> datetime | None:
    if action is Action.SELF_CANCEL:
        return order.payment_deadline
    if action is Action.REQUEST and order.paid_at is not None:
        return order.paid_at + policy.auto_approve_window  # until then: no review needed
    if action is Action.APPEAL and order.delivered_at is not None:
        return order.delivered_at + timedelta(hours=policy.confirmation_window_hours)
    confirmed = _confirmed_at(order, policy)
    if action is Action.AFTER_SALES and confirmed is not None:
        return confirmed + timedelta(days=policy.after_sales_days)
    return None


def auto_approvable(order: Order, now: datetime, policy: CancellationPolicy, high_risk: bool) -> bool:
    """Paid, inside the window after payment, stock not locked, customer not high-risk."""
    return (
        order.status is OrderStatus.PAID
        and order.paid_at is not None
        and now < order.paid_at + policy.auto_approve_window
        and not order.stock_locked
        and not high_risk
    )


def _evaluate(
    action: Action, order: Order, now: datetime, book: PolicyBook, high_risk: bool, lang: str
) -> ActionOption:
    policy = book.for_type(order.product_type)
    code = _not_allowed_code(action, order, now, policy) or _rejected(action, order)
    if code is not None:
        r = order.rejection if code == "REQUEST_REJECTED_APPEAL_INSTEAD" else None
        return _deny(action, code, lang, r.request_id if r else None)
    deadline = _deadline(action, order, policy)
    if action is Action.SELF_CANCEL:
        return ActionOption(
            action=action,
            allowed=True,
            outcome=Outcome.CANCELLED,
            reasons=_REASONS[action],
            deadline=deadline,
            deadline_cst=cst_display(deadline) if deadline else None,
        )
    auto = action is Action.REQUEST and auto_approvable(order, now, policy, high_risk)
    review_minutes = None if auto else policy.review_decision_minutes
    refund_start = now if auto else now + timedelta(minutes=policy.review_decision_minutes)
    if action is Action.REQUEST and not auto:
        deadline = None  # the window has passed (or does not apply): review decides
    evidence_rules = policy.evidence
    return ActionOption(
        action=action,
        allowed=True,
        needs_review=not auto,
        outcome=Outcome.REFUND_STARTED if auto else Outcome.UNDER_REVIEW,
        reasons=fitting(_REASONS[action], order.status),
        description_hint=DESCRIPTION_HINT[1 if lang.lower().startswith("en") else 0],
        evidence_required=action is Action.APPEAL and evidence_rules.required_for_appeal,
        max_evidence=evidence_rules.max_files,
        partial_amount_allowed=action in PARTIAL_REFUND_ACTIONS,
        max_amount=order.refundable,
        deadline=deadline,
        deadline_cst=cst_display(deadline) if deadline else None,
        expected_review_minutes=review_minutes,
        refund_eta=refund_eta(order, refund_start, policy, book),
    )


def cancellation_options(
    order: Order, now: datetime, book: PolicyBook, risk: RiskProfile, lang: str = "zh-CN"
) -> CancellationOptions:
    high_risk = risk.high_risk(book.risk)
    return CancellationOptions(
        order_id=order.order_id,
        status=order.effective_status(now),
        evaluated_at=now,
        high_risk=high_risk,
        actions=tuple(_evaluate(a, order, now, book, high_risk, lang) for a in Action),
    )


@dataclass(frozen=True)
class Submission:
    """What a customer asks for; validated against the options of the moment."""

    action: Action
    reason_code: Reason = Reason.CHANGED_MIND
    description: str | None = None
    evidence: tuple[str, ...] = ()
    refund_to: RefundTo = RefundTo.ORIGINAL
    amount: int | None = None


def check_submission(options: CancellationOptions, sub: Submission) -> ActionOption:
    """Accept exactly what the options allow, or raise the reason why not."""
    option = options.get(sub.action)
    if not option.allowed:
        assert option.code is not None
        details = {"action": sub.action.value, "status": options.status.value}
        if option.appeal_request_id:
            details["appeal_request_id"] = option.appeal_request_id
        raise DomainError(option.code, details)
    if sub.reason_code not in option.reasons:
        raise DomainError(
            "REASON_NOT_ALLOWED",
            {"field": "reason_code", "allowed": [r.value for r in option.reasons]},
        )
    check_description(sub.reason_code, sub.description)
    if len(sub.evidence) > option.max_evidence or (sub.evidence and sub.action is Action.SELF_CANCEL):
        raise DomainError("EVIDENCE_INVALID", {"field": "evidence", "max_files": option.max_evidence})
    needs_evidence = option.evidence_required or (
        sub.action is Action.APPEAL and sub.reason_code is Reason.OTHER
    )
    if needs_evidence and not sub.evidence:
        raise DomainError("EVIDENCE_REQUIRED", {"field": "evidence"})
    if sub.amount is not None:
        if not option.partial_amount_allowed:
            raise DomainError("AMOUNT_NOT_ALLOWED", {"field": "amount"})
        if not 1 <= sub.amount <= option.max_amount:
            raise DomainError("AMOUNT_INVALID", {"field": "amount", "max_amount": option.max_amount})
    return option
