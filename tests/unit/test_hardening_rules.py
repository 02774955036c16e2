"""Hardening (issue 13), the pure rules: reasons fit the order's state, priority comes only from
facts the platform can check, and after a rejection the way on is the appeal.

GIVEN an order in some state (built without I/O)
WHEN cancellation_options / check_submission / priority_class answer
THEN what they allow is what the state allows, and the same on every path.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.domain.models import Rejection
from cancelflow.domain.options import Action, Submission, cancellation_options, check_submission
from cancelflow.domain.priority import NORMAL, URGENT, priority_class
from cancelflow.domain.reasons import CUSTOMER_REASONS, PLATFORM_FAULT_REASONS, Reason
from cancelflow.domain.risk import RiskProfile
from cancelflow.errors import CATALOGUE, DomainError, message

from tests.unit.domain_factory import BOOK, COMPLETED_AT, DELIVERED_AT, PAID_AT, S, make_order

A = Action
LOW_RISK = RiskProfile()
# platform faults about what was delivered: nothing can be wrong with goods nobody received
ABOUT_DELIVERED = {
    Reason.WRONG_ITEM,
    Reason.DUPLICATE_DELIVERY,
    Reason.INVALID_KEY,
    Reason.DESCRIPTION_MISMATCH,
}
BEFORE_DELIVERY_FAULTS = {Reason.STOCK_ERROR, Reason.PROHIBITED_GOODS}

PAID = (make_order(S.PAID), PAID_AT + timedelta(minutes=30))
DELIVERING = (make_order(S.DELIVERING), PAID_AT + timedelta(minutes=6))
DELIVERED = (make_order(S.DELIVERED), DELIVERED_AT + timedelta(hours=1))
COMPLETED = (make_order(S.COMPLETED), COMPLETED_AT + timedelta(days=1))


def _refusal(order_and_time: tuple[object, object], sub: Submission) -> str | None:
    order, now = order_and_time
    opts = cancellation_options(order, now, BOOK, LOW_RISK)  # type: ignore[arg-type]
    try:
        check_submission(opts, sub)
    except DomainError as e:
        return e.code
    return None


# ---------------------------------------------------------------- 12: reasons fit the state


@pytest.mark.parametrize("reason", sorted(ABOUT_DELIVERED))
@pytest.mark.parametrize(("state", "action"), [(PAID, A.REQUEST), (DELIVERING, A.STOP_DELIVERY)])
def test_delivery_fault_reason_on_an_undelivered_order_is_refused(
    state: tuple[object, object], action: Action, reason: Reason
) -> None:
    """GIVEN a paid (or delivering) order, nothing delivered yet
    WHEN the customer requests a cancellation with a reason about what was delivered
    THEN the options do not list that reason and the submission is REASON_NOT_ALLOWED (422)."""
    order, now = state
    option = cancellation_options(order, now, BOOK, LOW_RISK).get(action)  # type: ignore[arg-type]
    assert option.allowed and reason not in option.reasons
    assert _refusal(state, Submission(action=action, reason_code=reason)) == "REASON_NOT_ALLOWED"
    assert CATALOGUE["REASON_NOT_ALLOWED"][0] == 422


@pytest.mark.parametrize(("state", "action"), [(PAID, A.REQUEST), (DELIVERING, A.STOP_DELIVERY)])
def test_undelivered_orders_list_customer_reasons_and_before_delivery_faults(
    state: tuple[object, object], action: Action
) -> None:
    """GIVEN a paid or delivering order WHEN options are asked THEN the reasons offered are the
    customer reasons plus the platform faults that can exist before delivery (stock error,
    prohibited goods), and each of them is accepted by a submission."""
    order, now = state
    option = cancellation_options(order, now, BOOK, LOW_RISK).get(action)  # type: ignore[arg-type]
    assert set(option.reasons) == set(CUSTOMER_REASONS) | BEFORE_DELIVERY_FAULTS
    for reason in option.reasons:
        description = "充值号码填错了,请帮我取消" if reason is Reason.OTHER else None
        sub = Submission(action=action, reason_code=reason, description=description)
        assert _refusal(state, sub) is None


@pytest.mark.parametrize(("state", "action"), [(DELIVERED, A.APPEAL), (COMPLETED, A.AFTER_SALES)])
def test_orders_whose_value_moved_keep_every_platform_fault_reason(
    state: tuple[object, object], action: Action
) -> None:
    """GIVEN a delivered (or completed) order WHEN options are asked THEN every platform-fault
    reason is offered for the appeal (after-sales) and accepted."""
    order, now = state
    option = cancellation_options(order, now, BOOK, LOW_RISK).get(action)  # type: ignore[arg-type]
    assert set(PLATFORM_FAULT_REASONS) <= set(option.reasons)
    sub = Submission(action=action, reason_code=Reason.DUPLICATE_DELIVERY, evidence=("e1",))
    assert _refusal(state, sub) is None


def test_platform_fault_on_an_undelivered_order_gets_no_priority() -> None:
    """GIVEN a platform-fault reason WHEN the order's value has not moved THEN it is the
    customer's word alone: normal priority; WHEN the value moved, or the fact is the platform's
    own (stop-delivery, escalation) THEN urgent."""
    for reason in PLATFORM_FAULT_REASONS:
        for status in (S.PAID, S.DELIVERING):
            assert priority_class("request", reason, status) == NORMAL
        for status in (S.DELIVERED, S.COMPLETED):
            assert priority_class("appeal", reason, status) == URGENT
            assert priority_class("after_sales", reason, status) == URGENT
    assert priority_class("stop_delivery", Reason.CHANGED_MIND, S.DELIVERING) == URGENT
    assert priority_class("request", Reason.CHANGED_MIND, S.PAID, escalated=True) == URGENT
    assert priority_class("appeal", Reason.OTHER, S.DELIVERED) == NORMAL


# ---------------------------------------------------------------- 13: after a rejection, the appeal


def _rejected(status: S, action: Action, appeal_used: bool = False, **kw: object) -> object:
    return make_order(status, rejection=Rejection("rq_0123456789abcdef0123", action.value, appeal_used), **kw)


@pytest.mark.parametrize(
    ("status", "rejected", "now", "blocked"),
    [
        (S.PAID, A.REQUEST, PAID_AT + timedelta(minutes=30), A.REQUEST),
        # a rejected cancellation is not asked again as a stop-delivery once delivery started
        (S.DELIVERING, A.REQUEST, PAID_AT + timedelta(minutes=6), A.STOP_DELIVERY),
        (S.DELIVERING, A.STOP_DELIVERY, PAID_AT + timedelta(minutes=6), A.STOP_DELIVERY),
        (S.DELIVERED, A.APPEAL, DELIVERED_AT + timedelta(hours=1), A.APPEAL),
        (S.COMPLETED, A.AFTER_SALES, COMPLETED_AT + timedelta(days=1), A.AFTER_SALES),
    ],
)
def test_new_request_after_a_rejection_is_refused_for_the_appeal(
    status: S, rejected: Action, now: object, blocked: Action
) -> None:
    """GIVEN an order whose request was rejected, its appeal not used yet
    WHEN the options are asked and the same request is submitted again
    THEN the action is not allowed with REQUEST_REJECTED_APPEAL_INSTEAD, the option names the
    request to appeal, and the submission is refused with that code (409)."""
    order = _rejected(status, rejected)
    for lang, word in (("zh-CN", "申诉"), ("en", "appeal")):
        option = cancellation_options(order, now, BOOK, LOW_RISK, lang).get(blocked)  # type: ignore[arg-type]
        assert not option.allowed and option.code == "REQUEST_REJECTED_APPEAL_INSTEAD"
        assert option.appeal_request_id == "rq_0123456789abcdef0123"
        assert option.message and word in option.message
    with pytest.raises(DomainError) as e:
        opts = cancellation_options(order, now, BOOK, LOW_RISK)  # type: ignore[arg-type]
        check_submission(opts, Submission(action=blocked))
    assert e.value.code == "REQUEST_REJECTED_APPEAL_INSTEAD" and e.value.status == 409
    assert e.value.details["appeal_request_id"] == "rq_0123456789abcdef0123"


def test_new_request_after_the_appeal_was_decided_is_refused_as_final() -> None:
    """GIVEN a paid order whose request was rejected and whose appeal was rejected too
    WHEN the options are asked THEN request is refused with REQUEST_REJECTED_FINAL, no appeal offered."""
    order = _rejected(S.PAID, A.REQUEST, appeal_used=True)
    option = cancellation_options(order, PAID[1], BOOK, LOW_RISK).get(A.REQUEST)  # type: ignore[arg-type]
    assert not option.allowed and option.code == "REQUEST_REJECTED_FINAL"
    assert option.appeal_request_id is None
    assert message("REQUEST_REJECTED_FINAL", "en") != message("REQUEST_REJECTED_FINAL", "zh-CN")


def test_a_rejection_leaves_other_remedies_and_states_alone() -> None:
    """GIVEN a rejected cancellation request WHEN the order was delivered meanwhile THEN the
    appeal against the delivered goods is its own remedy (allowed) and request says ALREADY_DELIVERED;
    GIVEN a rejected appeal WHEN the order is completed THEN after-sales is open."""
    delivered = _rejected(S.DELIVERED, A.REQUEST)
    opts = cancellation_options(delivered, DELIVERED[1], BOOK, LOW_RISK)  # type: ignore[arg-type]
    assert opts.get(A.APPEAL).allowed and opts.get(A.REQUEST).code == "ALREADY_DELIVERED"
    completed = _rejected(S.COMPLETED, A.APPEAL)
    opts = cancellation_options(completed, COMPLETED[1], BOOK, LOW_RISK)  # type: ignore[arg-type]
    assert opts.get(A.AFTER_SALES).allowed
