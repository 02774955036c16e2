"""Eligibility and options (docs/domain.md, "Eligibility and options"): the one answer to
"what may this customer do with this order now, and if not, why".

``cancellation_options`` is what ``GET .../cancellation-options`` shows, and
``check_submission`` is what every ``POST .../cancellations`` passes through: both read the
same ``_evaluate`` so what the options say is allowed is exactly what a POST accepts. The table
of "why not" is here; the rules it asks live in their own modules: ``auto_approval`` (approved
without review), ``risk`` (high-risk customers), ``appeals`` (appeals, and what a rejection
allows), ``after_sales`` (the window after completion) and ``withdrawal`` (taking a pending
request back, offered beside the five actions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from cancelflow.domain import after_sales, appeals, withdrawal
from cancelflow.domain.actions import PARTIAL_REFUND_ACTIONS as PARTIAL_REFUND_ACTIONS
from cancelflow.domain.actions import Action as Action
from cancelflow.domain.auto_approval import auto_approvable, window_end
from cancelflow.domain.calendar import CST_DESCRIPTION, cst_display
from cancelflow.domain.eta import RefundEta, refund_eta
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
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
from cancelflow.domain.risk import RiskProfile
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, ErrorCode, message

ALL_REASONS = CUSTOMER_REASONS + PLATFORM_FAULT_REASONS
_REASONS: dict[Action, tuple[Reason, ...]] = {
    Action.SELF_CANCEL: CUSTOMER_REASONS,
    Action.REQUEST: ALL_REASONS,
    Action.STOP_DELIVERY: ALL_REASONS,
    Action.APPEAL: appeals.APPEAL_REASONS,
    Action.AFTER_SALES: ALL_REASONS,
}


class Outcome(StrEnum):
    CANCELLED = "cancelled"  # self-cancel: nothing to refund
    REFUND_STARTED = "refund_started"  # auto-approved: cancelled, refund created
    UNDER_REVIEW = "under_review"


@dataclass(frozen=True)
class ActionOption:
    """One action on an order: whether the caller may take it now, and if not, why."""

    action: Action
    allowed: bool
    code: ErrorCode | None = None  # why not, machine-readable
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
    """Every action the customer may take on an order at one moment."""

    order_id: str
    status: OrderStatus
    evaluated_at: datetime
    high_risk: bool
    actions: tuple[ActionOption, ...]
    withdraw: withdrawal.WithdrawOption

    def get(self, action: Action) -> ActionOption:
        return next(a for a in self.actions if a.action is action)


def _deny(action: Action, code: ErrorCode, lang: str, appeal: str | None = None) -> ActionOption:
    return ActionOption(
        action=action, allowed=False, code=code, message=message(code, lang), appeal_request_id=appeal
    )


def _not_allowed_code(
    action: Action, order: Order, now: datetime, policy: CancellationPolicy
) -> ErrorCode | None:
    """The single table of "why not". ``None`` means allowed."""
    status = order.status
    if order.is_overdue_unpaid(now) or (
        status is OrderStatus.CANCELLED and order.cancel_reason == PAYMENT_TIMEOUT_REASON
    ):
        return ErrorCode.ORDER_EXPIRED
    if status is OrderStatus.CANCELLED:
        return ErrorCode.ORDER_CANCELLED
    if action is Action.SELF_CANCEL:
        return None if status is OrderStatus.PENDING_PAYMENT else ErrorCode.ALREADY_PAID
    if status is OrderStatus.PENDING_PAYMENT:
        return ErrorCode.NOT_PAID
    if order.held:
        return ErrorCode.CANCELLATION_IN_PROGRESS
    if action is Action.REQUEST:
        return {
            OrderStatus.PAID: None,
            OrderStatus.DELIVERING: ErrorCode.ORDER_DELIVERING,
        }.get(status, ErrorCode.ALREADY_DELIVERED)
    if action is Action.STOP_DELIVERY:
        if status is OrderStatus.DELIVERING:
            return None
        return (
            ErrorCode.ALREADY_DELIVERED
            if status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
            else ErrorCode.NOT_DELIVERING
        )
    if action is Action.APPEAL:
        return appeals.not_allowed_code(order, now, policy)
    return after_sales.not_allowed_code(order, now, policy)


def _deadline(action: Action, order: Order, policy: CancellationPolicy) -> datetime | None:
    if action is Action.SELF_CANCEL:
        return order.payment_deadline
    if action is Action.REQUEST:
        return window_end(order, policy)  # until then: no review needed
    if action is Action.APPEAL:
        return appeals.deadline(order, policy)
    if action is Action.AFTER_SALES:
        return after_sales.deadline(order, policy)
    return None


def _evaluate(
    action: Action, order: Order, now: datetime, book: PolicyBook, high_risk: bool, lang: str
) -> ActionOption:
    policy = book.for_order(order)
    code = _not_allowed_code(action, order, now, policy) or appeals.after_rejection(action, order)
    if code is not None:
        return _deny(action, code, lang, appeals.appeal_instead(order, code))
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
        evidence_required=appeals.evidence_required(action, evidence_rules),
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
    order = order.as_of(now)  # past its confirmation window: completed, swept or not
    return CancellationOptions(
        order_id=order.order_id,
        status=order.effective_status(now),
        evaluated_at=now,
        high_risk=high_risk,
        actions=tuple(_evaluate(a, order, now, book, high_risk, lang) for a in Action),
        withdraw=withdrawal.option(order, lang),
    )


class Submission(msgspec.Struct, frozen=True):
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
            ErrorCode.REASON_NOT_ALLOWED,
            {"field": "reason_code", "allowed": [r.value for r in option.reasons]},
        )
    check_description(sub.reason_code, sub.description)
    if len(sub.evidence) > option.max_evidence or (sub.evidence and sub.action is Action.SELF_CANCEL):
        raise DomainError(ErrorCode.EVIDENCE_INVALID, {"field": "evidence", "max_files": option.max_evidence})
    if appeals.evidence_needed(sub.action, sub.reason_code, option.evidence_required) and not sub.evidence:
        raise DomainError(ErrorCode.EVIDENCE_REQUIRED, {"field": "evidence"})
    if sub.amount is not None:
        if not option.partial_amount_allowed:
            raise DomainError(ErrorCode.AMOUNT_NOT_ALLOWED, {"field": "amount"})
        if not 1 <= sub.amount <= option.max_amount:
            raise DomainError(ErrorCode.AMOUNT_INVALID, {"field": "amount", "max_amount": option.max_amount})
    return option
