"""The one rule function: every state x every action, the windows, risk, holds and evidence.

GIVEN an order in some state, a time and a customer's risk
WHEN cancellation_options / check_submission answer
THEN the allowed actions, codes, deadlines and amounts are those of
(docs/domain.md, "Eligibility and options").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
from cancelflow.domain.options import (
    Action,
    Outcome,
    Submission,
    cancellation_options,
    check_submission,
)
from cancelflow.domain.policy import build_policy_book
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.domain.risk import RiskProfile
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError

from tests.conftest import NOW
from tests.unit.domain_factory import BOOK, COMPLETED_AT, DELIVERED_AT, PAID_AT, S, make_order

A = Action
LOW_RISK = RiskProfile()
MS = timedelta(milliseconds=1)

# state name -> (order, evaluation time)
STATES: dict[str, tuple[Order, object]] = {
    "pending": (make_order(S.PENDING_PAYMENT), NOW + timedelta(minutes=5)),
    "pending_overdue": (make_order(S.PENDING_PAYMENT), NOW + timedelta(minutes=15)),
    "paid_in_window": (make_order(S.PAID), PAID_AT + timedelta(minutes=5)),
    "paid_after_window": (make_order(S.PAID), PAID_AT + timedelta(minutes=30)),
    "paid_held": (make_order(S.PAID, open_request_id="rq_1"), PAID_AT + timedelta(minutes=30)),
    "delivering": (make_order(S.DELIVERING), PAID_AT + timedelta(minutes=6)),
    "delivering_held": (make_order(S.DELIVERING, open_request_id="rq_1"), PAID_AT + timedelta(minutes=6)),
    "delivered": (make_order(S.DELIVERED), DELIVERED_AT + timedelta(hours=1)),
    "delivered_held": (make_order(S.DELIVERED, open_request_id="rq_1"), DELIVERED_AT + timedelta(hours=1)),
    "completed": (make_order(S.COMPLETED), COMPLETED_AT + timedelta(days=1)),
    "cancelled": (make_order(S.CANCELLED), NOW + timedelta(hours=1)),
    "cancelled_expired": (
        make_order(S.CANCELLED, cancel_reason=PAYMENT_TIMEOUT_REASON, cancelled_by=Actor.SYSTEM),
        NOW + timedelta(hours=1),
    ),
}

OK_CANCEL, OK_AUTO, OK_REVIEW = "ok:cancelled", "ok:refund_started", "ok:under_review"
ALL_EXPIRED = ("ORDER_EXPIRED",) * 5
ALL_CANCELLED = ("ORDER_CANCELLED",) * 5
HELD = ("ALREADY_PAID", *("CANCELLATION_IN_PROGRESS",) * 4)

# columns: self_cancel, request, stop_delivery, appeal, after_sales
TABLE: dict[str, tuple[str, ...]] = {
    "pending": (OK_CANCEL, "NOT_PAID", "NOT_PAID", "NOT_PAID", "NOT_PAID"),
    "pending_overdue": ALL_EXPIRED,
    "paid_in_window": ("ALREADY_PAID", OK_AUTO, "NOT_DELIVERING", "NOT_DELIVERED", "NOT_COMPLETED"),
    "paid_after_window": ("ALREADY_PAID", OK_REVIEW, "NOT_DELIVERING", "NOT_DELIVERED", "NOT_COMPLETED"),
    "paid_held": HELD,
    "delivering": ("ALREADY_PAID", "ORDER_DELIVERING", OK_REVIEW, "NOT_DELIVERED", "NOT_COMPLETED"),
    "delivering_held": HELD,
    "delivered": ("ALREADY_PAID", "ALREADY_DELIVERED", "ALREADY_DELIVERED", OK_REVIEW, "NOT_COMPLETED"),
    "delivered_held": HELD,
    "completed": (
        "ALREADY_PAID",
        "ALREADY_DELIVERED",
        "ALREADY_DELIVERED",
        "APPEAL_WINDOW_CLOSED",
        OK_REVIEW,
    ),
    "cancelled": ALL_CANCELLED,
    "cancelled_expired": ALL_EXPIRED,
}


def _shown(opt: object) -> str:
    assert hasattr(opt, "allowed")
    return f"ok:{opt.outcome.value}" if opt.allowed else str(opt.code)  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", list(TABLE))
@pytest.mark.parametrize("action", list(Action))
def test_every_state_and_action(state: str, action: Action) -> None:
    """GIVEN an order in each state WHEN options are asked THEN each action is the table's row."""
    order, now = STATES[state]
    opts = cancellation_options(order, now, BOOK, LOW_RISK)  # type: ignore[arg-type]
    assert _shown(opts.get(action)) == TABLE[state][list(Action).index(action)]


@pytest.mark.parametrize("state", list(TABLE))
@pytest.mark.parametrize("action", list(Action))
def test_a_denied_option_is_refused_with_the_same_code(state: str, action: Action) -> None:
    """GIVEN any denied option WHEN a submission asks for it THEN it raises exactly that code."""
    order, now = STATES[state]
    opts = cancellation_options(order, now, BOOK, LOW_RISK)  # type: ignore[arg-type]
    opt = opts.get(action)
    if opt.allowed:
        return
    with pytest.raises(DomainError) as e:
        check_submission(opts, Submission(action=action))
    assert e.value.code == opt.code
    assert e.value.status == 409


def test_every_denial_has_a_message_in_both_languages() -> None:
    """GIVEN denied options WHEN asked in zh-CN and en THEN each carries a message of that language."""
    order, now = STATES["delivering"]
    zh = cancellation_options(order, now, BOOK, LOW_RISK, "zh-CN").get(A.REQUEST)  # type: ignore[arg-type]
    en = cancellation_options(order, now, BOOK, LOW_RISK, "en-US").get(A.REQUEST)  # type: ignore[arg-type]
    assert zh.code == en.code == "ORDER_DELIVERING"
    assert zh.message and "发货" in zh.message
    assert en.message and "stop the delivery" in en.message


# ---------------------------------------------------------------- expiry by deadline


def test_unpaid_order_counts_as_expired_at_its_deadline_before_any_sweep() -> None:
    """GIVEN an unpaid order still stored as pending WHEN its deadline arrives THEN it shows as
    cancelled and every action says ORDER_EXPIRED; one millisecond earlier self-cancel is open."""
    order = make_order(S.PENDING_PAYMENT)
    deadline = order.payment_deadline
    before = cancellation_options(order, deadline - MS, BOOK, LOW_RISK)
    at = cancellation_options(order, deadline, BOOK, LOW_RISK)
    assert before.status is S.PENDING_PAYMENT and before.get(A.SELF_CANCEL).allowed
    assert before.get(A.SELF_CANCEL).deadline == deadline
    assert (
        before.get(A.SELF_CANCEL).deadline_cst == "2026-11-27T10:15:00+08:00"
    )  # NOW is 10:00 CST (ISO 8601, issue 13)
    assert at.status is S.CANCELLED
    assert {a.code for a in at.actions} == {"ORDER_EXPIRED"}


# ---------------------------------------------------------------- the auto window


def test_auto_window_boundary_is_exclusive() -> None:
    """GIVEN a paid order WHEN a request is evaluated 1 ms before / exactly at paid_at + 10 min
    THEN before it is auto-approved (no review, refund now), at the boundary it needs review."""
    order = make_order(S.PAID)
    end = PAID_AT + timedelta(minutes=10)
    inside = cancellation_options(order, end - MS, BOOK, LOW_RISK).get(A.REQUEST)
    at = cancellation_options(order, end, BOOK, LOW_RISK).get(A.REQUEST)
    assert inside.outcome is Outcome.REFUND_STARTED and not inside.needs_review
    assert inside.deadline == end and inside.expected_review_minutes is None
    assert inside.refund_eta[0].channel is Channel.ALIPAY
    assert inside.refund_eta[0].expected_by == end - MS  # instant channel: now
    assert at.outcome is Outcome.UNDER_REVIEW and at.needs_review
    assert at.deadline is None and at.expected_review_minutes == 60
    # after review (60 min) the refund starts; Alipay's SLA is one hour after that
    assert at.refund_eta[0].due_by == end + timedelta(minutes=60 + 60)


def test_auto_window_is_per_type_configuration() -> None:
    """GIVEN top-ups with a 0-minute window WHEN a paid top-up asks at once THEN review is needed."""
    book = build_policy_book({"mobile_topup": {"auto_approve_minutes": 0}})
    topup = make_order(S.PAID, product_type=ProductType.MOBILE_TOPUP, key_ids=())
    card = make_order(S.PAID)
    assert cancellation_options(topup, PAID_AT, book, LOW_RISK).get(A.REQUEST).needs_review
    assert not cancellation_options(card, PAID_AT, book, LOW_RISK).get(A.REQUEST).needs_review


@pytest.mark.parametrize(
    ("orders", "requests", "flagged", "high"),
    [
        (5, 2, False, True),  # 40 % of 5 orders
        (10, 3, False, False),  # exactly 30 % is not "more than"
        (10, 4, False, True),
        (4, 4, False, False),  # fewer than 5 orders: not enough history
        (0, 0, True, True),  # flagged by support
        (0, 0, False, False),
    ],
)
def test_high_risk_customers_get_no_auto_approval(
    orders: int, requests: int, flagged: bool, high: bool
) -> None:
    """GIVEN a customer's 30-day history WHEN they ask inside the window THEN high risk means review."""
    risk = RiskProfile(orders=orders, cancellation_requests=requests, flagged=flagged)
    opts = cancellation_options(make_order(S.PAID), PAID_AT + timedelta(minutes=1), BOOK, risk)
    assert opts.high_risk is high
    assert opts.get(A.REQUEST).outcome is (Outcome.UNDER_REVIEW if high else Outcome.REFUND_STARTED)


def test_risk_threshold_is_configuration() -> None:
    """GIVEN risk rules of 50 % / 2 orders WHEN 1 of 2 orders was cancelled THEN not high; 2 of 3 is."""
    book = build_policy_book({"risk": {"max_ratio": 0.5, "min_orders": 2}})
    order, now = make_order(S.PAID), PAID_AT
    assert not cancellation_options(
        order, now, book, RiskProfile(orders=2, cancellation_requests=1)
    ).high_risk
    assert cancellation_options(order, now, book, RiskProfile(orders=3, cancellation_requests=2)).high_risk


def test_locked_stock_needs_review_even_inside_the_window() -> None:
    """GIVEN a paid order whose stock fulfilment has locked WHEN asked in the window THEN review."""
    opt = cancellation_options(make_order(S.PAID, stock_locked=True), PAID_AT, BOOK, LOW_RISK).get(A.REQUEST)
    assert opt.allowed and opt.outcome is Outcome.UNDER_REVIEW


def test_stop_delivery_is_reviewed_and_refund_eta_lists_original_and_balance() -> None:
    """GIVEN a delivering order paid by bank card WHEN stop-delivery is offered THEN it is reviewed,
    full amount, and the ETA covers the bank card (business days) and balance (instant)."""
    order = make_order(S.DELIVERING, payment_channel=Channel.BANK_CARD)
    opt = cancellation_options(order, PAID_AT + timedelta(minutes=6), BOOK, LOW_RISK).get(A.STOP_DELIVERY)
    assert opt.needs_review and opt.max_amount == 10000 and not opt.partial_amount_allowed
    assert [e.channel for e in opt.refund_eta] == [Channel.BANK_CARD, Channel.BALANCE]
    bank = opt.refund_eta[0]
    # refund starts after the 60-minute review: Friday 11:07 CST; +1 business day = Monday, +3 = Wednesday
    assert bank.expected_by_cst == "2026-11-30T11:07:00+08:00"  # ISO 8601 with its offset (issue 13)
    assert bank.due_by.date().isoformat() == "2026-12-02"


# ---------------------------------------------------------------- appeal and after-sales


def test_appeal_window_is_the_confirmation_window_per_type() -> None:
    """GIVEN a delivered game card (72 h) and top-up (24 h) WHEN asked before/at the end THEN
    appeal is open before, APPEAL_WINDOW_CLOSED at the deadline (even before completion runs)."""
    card = make_order(S.DELIVERED)
    topup = make_order(S.DELIVERED, product_type=ProductType.MOBILE_TOPUP, key_ids=())
    for order, hours in ((card, 72), (topup, 24)):
        end = DELIVERED_AT + timedelta(hours=hours)
        before = cancellation_options(order, end - MS, BOOK, LOW_RISK).get(A.APPEAL)
        assert before.allowed and before.deadline == end and before.evidence_required
        assert before.partial_amount_allowed and before.max_amount == 10000
        assert cancellation_options(order, end, BOOK, LOW_RISK).get(A.APPEAL).code == "APPEAL_WINDOW_CLOSED"


def test_delivered_order_past_confirmation_counts_as_completed_for_after_sales() -> None:
    """GIVEN a delivered order whose confirmation window passed but completion has not run
    WHEN options are asked THEN after-sales is open with the deadline 7 days after that."""
    confirmed = DELIVERED_AT + timedelta(hours=72)
    opt = cancellation_options(make_order(S.DELIVERED), confirmed, BOOK, LOW_RISK).get(A.AFTER_SALES)
    assert opt.allowed and opt.deadline == confirmed + timedelta(days=7)
    early = cancellation_options(make_order(S.DELIVERED), confirmed - MS, BOOK, LOW_RISK)
    assert early.get(A.AFTER_SALES).code == "NOT_COMPLETED"


def test_after_sales_window_closes_after_seven_days() -> None:
    """GIVEN a completed order WHEN asked exactly 7 days after / 1 ms later THEN open / closed."""
    end = COMPLETED_AT + timedelta(days=7)
    order = make_order(S.COMPLETED)
    assert cancellation_options(order, end, BOOK, LOW_RISK).get(A.AFTER_SALES).allowed
    late = cancellation_options(order, end + MS, BOOK, LOW_RISK).get(A.AFTER_SALES)
    assert late.code == "AFTER_SALES_WINDOW_CLOSED"


def test_amounts_offered_are_what_is_left_to_refund() -> None:
    """GIVEN 4000 of 10000 already refunded WHEN after-sales is offered THEN at most 6000; a fully
    refunded order has NOTHING_TO_REFUND for appeal and after-sales."""
    now = COMPLETED_AT + timedelta(days=1)
    part = cancellation_options(make_order(S.COMPLETED, refunded_amount=4000), now, BOOK, LOW_RISK)
    assert part.get(A.AFTER_SALES).max_amount == 6000
    full = make_order(S.COMPLETED, refunded_amount=10000)
    assert cancellation_options(full, now, BOOK, LOW_RISK).get(A.AFTER_SALES).code == "NOTHING_TO_REFUND"
    delivered = make_order(S.DELIVERED, refunded_amount=10000)
    opt = cancellation_options(delivered, DELIVERED_AT, BOOK, LOW_RISK).get(A.APPEAL)
    assert opt.code == "NOTHING_TO_REFUND"


def test_appeals_can_be_disabled_per_type() -> None:
    """GIVEN licences configured without appeals WHEN a delivered licence is asked THEN APPEALS_DISABLED."""
    book = build_policy_book({"software_license": {"appeal_after_delivery": False}})
    order = make_order(S.DELIVERED, product_type=ProductType.SOFTWARE_LICENSE)
    assert cancellation_options(order, DELIVERED_AT, book, LOW_RISK).get(A.APPEAL).code == "APPEALS_DISABLED"


# ---------------------------------------------------------------- submissions


def _opts(state: str) -> object:
    order, now = STATES[state]
    return cancellation_options(order, now, BOOK, LOW_RISK)  # type: ignore[arg-type]


def _code(state: str, sub: Submission, book: object = None) -> str | None:
    order, now = STATES[state]
    opts = cancellation_options(order, now, book or BOOK, LOW_RISK)  # type: ignore[arg-type]
    try:
        check_submission(opts, sub)
    except DomainError as e:
        return e.code
    return None


@pytest.mark.parametrize(
    ("state", "sub", "code"),
    [
        # reasons per action
        ("pending", Submission(action=A.SELF_CANCEL, reason_code=Reason.WRONG_ITEM), "REASON_NOT_ALLOWED"),
        # nothing was delivered, so no key can be invalid (reasons fit the state)
        (
            "paid_after_window",
            Submission(action=A.REQUEST, reason_code=Reason.INVALID_KEY),
            "REASON_NOT_ALLOWED",
        ),
        ("paid_after_window", Submission(action=A.REQUEST, reason_code=Reason.STOCK_ERROR), None),
        ("delivered", Submission(action=A.APPEAL, reason_code=Reason.CHANGED_MIND), "REASON_NOT_ALLOWED"),
        # other needs >= 10 characters (after trimming)
        ("paid_after_window", Submission(action=A.REQUEST, reason_code=Reason.OTHER), "DESCRIPTION_REQUIRED"),
        (
            "paid_after_window",
            Submission(action=A.REQUEST, reason_code=Reason.OTHER, description="123456789"),
            "DESCRIPTION_REQUIRED",
        ),
        (
            "paid_after_window",
            Submission(action=A.REQUEST, reason_code=Reason.OTHER, description="  123456789  "),
            "DESCRIPTION_REQUIRED",
        ),
        (
            "paid_after_window",
            Submission(action=A.REQUEST, reason_code=Reason.OTHER, description="1234567890"),
            None,
        ),
        (
            "paid_after_window",
            Submission(action=A.REQUEST, reason_code=Reason.OTHER, description="充值号码填错了请退款吧"),
            None,
        ),
        (
            "paid_after_window",
            Submission(action=A.REQUEST, description="x" * 1001),
            "VALIDATION_FAILED",
        ),
        # evidence
        ("pending", Submission(action=A.SELF_CANCEL, evidence=("e1",)), "EVIDENCE_INVALID"),
        ("paid_after_window", Submission(action=A.REQUEST, evidence=("e1",) * 5), None),
        ("paid_after_window", Submission(action=A.REQUEST, evidence=("e1",) * 6), "EVIDENCE_INVALID"),
        ("delivered", Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY), "EVIDENCE_REQUIRED"),
        ("delivered", Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY, evidence=("e1",)), None),
        # amounts: only appeal/after-sales take one, 1..refundable
        ("paid_after_window", Submission(action=A.REQUEST, amount=100), "AMOUNT_NOT_ALLOWED"),
        (
            "delivered",
            Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY, evidence=("e",), amount=0),
            "AMOUNT_INVALID",
        ),
        (
            "delivered",
            Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY, evidence=("e",), amount=10001),
            "AMOUNT_INVALID",
        ),
        (
            "delivered",
            Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY, evidence=("e",), amount=10000),
            None,
        ),
        ("completed", Submission(action=A.AFTER_SALES, amount=2500, refund_to=RefundTo.BALANCE), None),
    ],
)
def test_submission_rules(state: str, sub: Submission, code: str | None) -> None:
    """GIVEN an allowed action WHEN a submission breaks a reason/description/evidence/amount rule
    THEN it raises that rule's code; a valid one is accepted."""
    assert _code(state, sub) == code


def test_appeal_evidence_rule_when_images_are_not_required_by_policy() -> None:
    """GIVEN a policy not requiring images for appeals WHEN a platform-fault appeal has none THEN
    it is accepted, but a justified cause ("other") still needs evidence
    (docs/domain.md, "Appeals")."""
    book = build_policy_book({"game_card": {"evidence": {"required_for_appeal": False}}})
    fault = Submission(action=A.APPEAL, reason_code=Reason.INVALID_KEY)
    other = Submission(action=A.APPEAL, reason_code=Reason.OTHER, description="the key was already used")
    assert _code("delivered", fault, book) is None
    assert _code("delivered", other, book) == "EVIDENCE_REQUIRED"
