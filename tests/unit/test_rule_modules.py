"""The rule modules on their own: auto-approval, risk, the after-sales window and the appeal rules
(docs/domain.md, "Where each rule lives"). ``test_options.py`` checks them through the options
answer; here each rule is asked directly, at its boundaries.

GIVEN an order (built without I/O), a time and a policy
WHEN a rule module answers
THEN the answer is the one its docstring and docs/domain.md state.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cancelflow.domain import after_sales, appeals, auto_approval
from cancelflow.domain.actions import Action
from cancelflow.domain.models import Order, Rejection
from cancelflow.domain.policy import build_policy_book
from cancelflow.domain.products import ProductType, RefundTo
from cancelflow.domain.reasons import CUSTOMER_REASONS, MAX_DESCRIPTION, PLATFORM_FAULT_REASONS, Reason
from cancelflow.domain.risk import RiskProfile, RiskRules, counts_when_approved, high_risk
from cancelflow.errors import DomainError

from tests.unit.domain_factory import BOOK, COMPLETED_AT, DELIVERED_AT, PAID_AT, S, make_order

CARD = BOOK.for_type(ProductType.GAME_CARD)
MS = timedelta(milliseconds=1)


# ---------------------------------------------------------------- auto-approval


def test_auto_approval_window_ends_exactly_at_paid_plus_the_window() -> None:
    order = make_order(S.PAID)
    end = auto_approval.window_end(order, CARD)
    assert end == PAID_AT + timedelta(minutes=10)
    assert auto_approval.auto_approvable(order, end - MS, CARD, high_risk=False)
    assert not auto_approval.auto_approvable(order, end, CARD, high_risk=False)
    assert auto_approval.window_end(make_order(S.PENDING_PAYMENT), CARD) is None


@pytest.mark.parametrize(
    ("order", "risky"),
    [
        (make_order(S.PAID), True),  # high-risk customer
        (make_order(S.PAID, stock_locked=True), False),  # fulfilment locked the stock
        (make_order(S.DELIVERING), False),  # not paid-and-waiting any more
        (make_order(S.PENDING_PAYMENT), False),  # not paid
    ],
)
def test_every_condition_of_auto_approval_is_needed(order: Order, risky: bool) -> None:
    assert not auto_approval.auto_approvable(order, PAID_AT + MS, CARD, high_risk=risky)


@pytest.mark.parametrize(
    ("product_type", "ceiling"),
    [
        (ProductType.GAME_CARD, 50_000),
        (ProductType.MOBILE_TOPUP, 20_000),
        (ProductType.SOFTWARE_LICENSE, 200_000),
    ],
)
def test_auto_approval_ceiling_per_type_includes_the_ceiling(product_type: ProductType, ceiling: int) -> None:
    """Up to the type's ceiling (fen, inclusive) without a reviewer; a fen more is reviewed."""
    policy = BOOK.for_type(product_type)
    assert policy.auto_approve_max_amount == ceiling
    at = PAID_AT + MS
    assert auto_approval.auto_approvable(make_order(S.PAID, amount=ceiling), at, policy, high_risk=False)
    assert not auto_approval.auto_approvable(
        make_order(S.PAID, amount=ceiling + 1), at, policy, high_risk=False
    )


def test_auto_approval_needs_an_account_at_least_seven_days_old() -> None:
    """Exactly 7 days old at the request: approved; a millisecond younger: reviewed."""
    at = PAID_AT + MS
    assert CARD.auto_approve_min_account_days == 7
    old_enough = make_order(S.PAID, customer_since=at - timedelta(days=7))
    too_new = make_order(S.PAID, customer_since=at - timedelta(days=7) + MS)
    assert auto_approval.auto_approvable(old_enough, at, CARD, high_risk=False)
    assert not auto_approval.auto_approvable(too_new, at, CARD, high_risk=False)


def test_an_unknown_account_age_is_as_the_policy_says() -> None:
    """The platform did not send the account's age: by default the age rule does not apply;
    with ``unknown_account_age_is_new`` it counts as a new account (reviewed)."""
    unknown, at = make_order(S.PAID), PAID_AT + MS
    assert unknown.customer_since is None
    assert auto_approval.auto_approvable(unknown, at, CARD, high_risk=False)
    strict = build_policy_book({"game_card": {"unknown_account_age_is_new": True}}).for_type(
        ProductType.GAME_CARD
    )
    assert not auto_approval.auto_approvable(unknown, at, strict, high_risk=False)
    old = make_order(S.PAID, customer_since=at - timedelta(days=30))
    assert auto_approval.auto_approvable(old, at, strict, high_risk=False)  # a known age decides


def test_auto_approval_refunds_to_the_original_channel_only() -> None:
    """Balance is a remedy a reviewer grants: a request asking for it is never auto-approved."""
    assert auto_approval.refund_to_allowed(RefundTo.ORIGINAL)
    assert not auto_approval.refund_to_allowed(RefundTo.BALANCE)


# ---------------------------------------------------------------- risk


@pytest.mark.parametrize(
    ("orders", "requests", "flagged", "expect"),
    [
        (4, 4, False, False),  # too few orders to judge
        (5, 1, False, False),  # 20 %
        (10, 3, False, False),  # exactly 30 %: not more than the ratio
        (10, 4, False, True),  # 40 %
        (0, 0, True, True),  # flagged by support
    ],
)
def test_high_risk_thresholds(orders: int, requests: int, flagged: bool, expect: bool) -> None:
    profile = RiskProfile(orders=orders, cancellation_requests=requests, flagged=flagged)
    assert high_risk(profile, RiskRules()) is expect
    assert profile.high_risk(RiskRules()) is expect  # the method asks the same rule


def test_only_an_upheld_platform_fault_stops_counting() -> None:
    """An approved request claiming a platform fault is the platform's cancellation, not the
    customer's: it no longer counts. Every customer reason (``other`` included) still does."""
    assert not any(counts_when_approved(r.value) for r in PLATFORM_FAULT_REASONS)
    assert all(counts_when_approved(r.value) for r in CUSTOMER_REASONS)


# ---------------------------------------------------------------- after-sales window


def test_after_sales_opens_at_the_end_of_the_confirmation_window_and_lasts_seven_days() -> None:
    delivered = make_order(S.DELIVERED)
    confirmed = DELIVERED_AT + timedelta(hours=72)
    assert after_sales.confirmed_at(delivered, CARD) == confirmed
    assert after_sales.not_allowed_code(delivered, confirmed - MS, CARD) == "NOT_COMPLETED"
    assert after_sales.not_allowed_code(delivered, confirmed, CARD) is None
    assert after_sales.deadline(delivered, CARD) == confirmed + timedelta(days=7)
    completed = make_order(S.COMPLETED)
    assert after_sales.confirmed_at(completed, CARD) == COMPLETED_AT  # once written, its time
    end = COMPLETED_AT + timedelta(days=7)
    assert after_sales.not_allowed_code(completed, end, CARD) is None
    assert after_sales.not_allowed_code(completed, end + MS, CARD) == "AFTER_SALES_WINDOW_CLOSED"
    refunded = make_order(S.COMPLETED, refunded_amount=10000)
    assert after_sales.not_allowed_code(refunded, COMPLETED_AT, CARD) == "NOTHING_TO_REFUND"
    assert after_sales.deadline(make_order(S.PAID), CARD) is None


# ---------------------------------------------------------------- appeals


def test_the_appeal_of_delivered_goods_closes_when_after_sales_opens() -> None:
    order = make_order(S.DELIVERED)
    closes = appeals.deadline(order, CARD)
    assert closes == after_sales.confirmed_at(order, CARD)
    assert closes is not None
    assert appeals.not_allowed_code(order, closes - MS, CARD) is None
    assert appeals.not_allowed_code(order, closes, CARD) == "APPEAL_WINDOW_CLOSED"
    # completed (written or not): the same answer as at the window's end, after-sales is next
    assert appeals.not_allowed_code(make_order(S.COMPLETED), COMPLETED_AT, CARD) == "APPEAL_WINDOW_CLOSED"
    assert appeals.not_allowed_code(make_order(S.PAID), DELIVERED_AT, CARD) == "NOT_DELIVERED"
    off = build_policy_book({"game_card": {"appeal_after_delivery": False}}).for_type(ProductType.GAME_CARD)
    assert appeals.not_allowed_code(order, DELIVERED_AT, off) == "APPEALS_DISABLED"


def test_appeal_evidence_follows_the_policy_and_other_always_needs_some() -> None:
    assert appeals.evidence_required(Action.APPEAL, CARD.evidence)
    assert not appeals.evidence_required(Action.AFTER_SALES, CARD.evidence)
    assert appeals.evidence_needed(Action.APPEAL, Reason.OTHER, required=False)
    assert not appeals.evidence_needed(Action.APPEAL, Reason.INVALID_KEY, required=False)
    assert not appeals.evidence_needed(Action.AFTER_SALES, Reason.OTHER, required=False)


@pytest.mark.parametrize(
    ("asked", "rejected", "used", "expect"),
    [
        (Action.REQUEST, Action.REQUEST, False, appeals.APPEAL_INSTEAD),
        (Action.STOP_DELIVERY, Action.REQUEST, False, appeals.APPEAL_INSTEAD),  # the same ask
        (Action.REQUEST, Action.STOP_DELIVERY, True, appeals.FINAL),
        (Action.APPEAL, Action.REQUEST, False, None),  # another remedy
        (Action.AFTER_SALES, Action.APPEAL, False, None),
    ],
)
def test_what_a_rejection_allows(asked: Action, rejected: Action, used: bool, expect: str | None) -> None:
    order = make_order(S.PAID, rejection=appeals.rejection("rq_1", rejected.value, used))
    assert appeals.after_rejection(asked, order) == expect
    assert appeals.appeal_instead(order, expect or "") == (
        "rq_1" if expect == appeals.APPEAL_INSTEAD else None
    )


def test_only_the_upheld_appeal_of_the_standing_rejection_ends_it() -> None:
    order = make_order(S.DELIVERED, rejection=Rejection("rq_1", "appeal"))
    assert appeals.ends_rejection(order, "rq_1")
    assert not appeals.ends_rejection(order, "rq_2")
    assert not appeals.ends_rejection(make_order(S.DELIVERED), "rq_1")


def _appeal(
    order: Order | None = None,
    *,
    rejected: bool = True,
    awaiting_answer: bool = False,
    appeal_used: bool = False,
    text: str = "the key never worked",
    evidence: int = 1,
) -> str | None:
    try:
        appeals.check_rejection_appeal(
            order or make_order(S.PAID),
            "rq_1",
            "rejected",
            rejected=rejected,
            awaiting_answer=awaiting_answer,
            appeal_used=appeal_used,
            text=text,
            evidence=evidence,
            policy=CARD,
        )
    except DomainError as e:
        return e.code
    return None


@pytest.mark.parametrize(
    ("order", "kw", "code"),
    [
        (None, {}, None),
        (None, {"text": "  "}, "VALIDATION_FAILED"),
        (None, {"text": "x" * (MAX_DESCRIPTION + 1)}, "VALIDATION_FAILED"),
        (None, {"evidence": 6}, "EVIDENCE_INVALID"),
        (None, {"awaiting_answer": True, "rejected": False}, "INFO_REQUESTED"),
        (None, {"rejected": False}, "APPEAL_NOT_ALLOWED"),
        (None, {"appeal_used": True}, "APPEAL_NOT_ALLOWED"),  # once per request
        (make_order(S.CANCELLED), {}, "ORDER_CANCELLED"),
        (make_order(S.PAID, open_request_id="rq_2"), {}, "CANCELLATION_IN_PROGRESS"),
        (make_order(S.DELIVERED, refunded_amount=10000), {}, "NOTHING_TO_REFUND"),
    ],
)
def test_the_appeal_against_a_rejection(order: Order | None, kw: dict[str, Any], code: str | None) -> None:
    assert _appeal(order, **kw) == code
