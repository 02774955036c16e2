"""Lazy completion: a delivered order past its confirmation window reads completed on every
path at every instant, and what the completion sweep writes changes nothing that is shown.
GIVEN one delivered order, unswept and swept (completed at its window's end) WHEN options,
status and after-sales are asked at the same instants THEN both answer the same."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cancelflow.domain import after_sales, cooling_off
from cancelflow.domain.options import cancellation_options
from cancelflow.domain.products import ProductType
from cancelflow.domain.risk import RiskProfile
from cancelflow.domain.states import OrderStatus
from msgspec.structs import replace

from tests.unit.domain_factory import BOOK, DELIVERED_AT, PAID_AT, S, make_order

ENDS = DELIVERED_AT + timedelta(hours=72)
LOW = RiskProfile()


def _pair():  # type: ignore[no-untyped-def]
    unswept = make_order(S.DELIVERED, confirmation_ends_at=ENDS)
    swept = replace(unswept, status=OrderStatus.COMPLETED, completed_at=ENDS, version=unswept.version + 1)
    return unswept, swept


@pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1), timedelta(days=3), timedelta(days=7)])
def test_options_before_and_after_the_sweep_agree(after: timedelta) -> None:
    unswept, swept = _pair()
    now = ENDS + after
    a, b = cancellation_options(unswept, now, BOOK, LOW), cancellation_options(swept, now, BOOK, LOW)
    assert a == b and a.status is OrderStatus.COMPLETED
    policy = BOOK.for_type(ProductType.GAME_CARD)
    assert after_sales.deadline(unswept, policy) == after_sales.deadline(swept, policy)


def test_delivered_until_the_window_ends() -> None:
    unswept, _ = _pair()
    just_before = ENDS - timedelta(milliseconds=1)
    assert unswept.effective_status(just_before) is OrderStatus.DELIVERED
    assert unswept.as_of(just_before) is unswept
    assert cancellation_options(unswept, just_before, BOOK, LOW).status is OrderStatus.DELIVERED
    assert unswept.effective_status(ENDS) is OrderStatus.COMPLETED
    assert unswept.as_of(ENDS).completed_at == ENDS


def test_the_stored_window_end_is_what_counts() -> None:
    """The window's end fixed at delivery decides, whatever the policy says today."""
    order = make_order(S.DELIVERED, confirmation_ends_at=DELIVERED_AT + timedelta(hours=1))
    policy = BOOK.for_type(ProductType.GAME_CARD)
    assert after_sales.confirmation_ends(order, policy) == DELIVERED_AT + timedelta(hours=1)
    legacy = make_order(S.DELIVERED)  # delivered before the end was stored: the policy's window
    assert after_sales.confirmation_ends(legacy, policy) == ENDS


def test_cooling_off_follows_the_auto_approval_window_unless_set() -> None:
    policy = BOOK.for_type(ProductType.GAME_CARD)
    paid = make_order(S.PAID)
    assert cooling_off.delivery_allowed_at(paid, policy) == PAID_AT + policy.auto_approve_window
    assert cooling_off.cooling_off_until(paid, PAID_AT, policy) == PAID_AT + timedelta(minutes=10)
    assert cooling_off.cooling_off_until(paid, PAID_AT + timedelta(minutes=10), policy) is None
    zero = dataclasses.replace(policy, cooling_off_minutes=0)  # the policy is a dataclass (an API schema)
    assert cooling_off.cooling_off_until(paid, PAID_AT, zero) is None
    assert cooling_off.delivery_allowed_at(make_order(S.PENDING_PAYMENT), policy) is None
