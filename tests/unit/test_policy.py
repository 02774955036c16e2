"""Cancellation policies as validated configuration.

GIVEN the defaults (docs/domain.md, "Products and policies"), per-type differences and an
environment's JSON overrides
WHEN the policy book is built THEN values are merged in that order and nonsense is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from cancelflow.domain import refund_sla
from cancelflow.domain.calendar import BusinessCalendar
from cancelflow.domain.policy import RefundSla, build_policy_book
from cancelflow.domain.products import Channel, ProductType
from cancelflow.settings import get_settings, reset_settings

T = ProductType
PLAIN = BusinessCalendar()


def test_defaults_are_those_of_the_domain() -> None:
    """GIVEN no overrides THEN 15 min to pay, 10 min auto window, review 5/60 min, refunds 1 h or
    3 business days, appeals allowed, 72 h confirmation (24 h for top-ups), 30 %/5 orders risk."""
    book = build_policy_book()
    for t in T:
        p = book.for_type(t)
        assert p.product_type is t
        assert (p.payment_timeout_minutes, p.auto_approve_minutes) == (15, 10)
        assert (p.review_first_response_minutes, p.review_decision_minutes) == (5, 60)
        assert p.refund_sla[Channel.ALIPAY].sla_minutes == 60
        assert p.refund_sla[Channel.WECHAT_PAY].sla_minutes == 60
        assert p.refund_sla[Channel.BALANCE].sla_minutes == 60
        assert p.refund_sla[Channel.BANK_CARD].sla_business_days == 3
        assert p.appeal_after_delivery and p.evidence.max_files == 5
        assert p.evidence.max_bytes == 5 * 1024 * 1024
    assert book.for_type(T.GAME_CARD).confirmation_window_hours == 72
    assert book.for_type(T.MOBILE_TOPUP).confirmation_window_hours == 24
    assert (book.risk.max_ratio, book.risk.min_orders, book.risk.window_days) == (0.30, 5, 30)


def test_override_one_type_leaves_the_others() -> None:
    """GIVEN {"mobile_topup": {"auto_approve_minutes": 5}} THEN only top-ups change."""
    book = build_policy_book({"mobile_topup": {"auto_approve_minutes": 5}})
    assert book.for_type(T.MOBILE_TOPUP).auto_approve_minutes == 5
    assert book.for_type(T.MOBILE_TOPUP).confirmation_window_hours == 24  # per-type default kept
    assert book.for_type(T.GAME_CARD).auto_approve_minutes == 10


def test_overriding_one_refund_channel_keeps_the_other_channels() -> None:
    """GIVEN a 5-business-day bank SLA for licences THEN the other channels keep their defaults."""
    book = build_policy_book({"software_license": {"refund_sla": {"bank_card": {"sla_business_days": 5}}}})
    sla = book.for_type(T.SOFTWARE_LICENSE).refund_sla
    assert set(sla) == set(Channel)
    assert sla[Channel.BANK_CARD].sla_business_days == 5
    assert sla[Channel.ALIPAY].sla_minutes == 60


def test_an_override_cannot_relabel_a_policy() -> None:
    """GIVEN an override naming another product_type THEN each policy still belongs to its type."""
    book = build_policy_book({"game_card": {"product_type": "mobile_topup", "auto_approve_minutes": 3}})
    assert book.for_type(T.GAME_CARD).product_type is T.GAME_CARD
    assert book.for_type(T.GAME_CARD).auto_approve_minutes == 3


def test_top_level_overrides_risk_holidays_and_lease() -> None:
    """GIVEN risk, holidays and lease overrides THEN they are parsed and validated."""
    book = build_policy_book(
        json.dumps({"risk": {"max_ratio": 0.5}, "holidays": ["2026-10-01"], "review_lease_minutes": 15})
    )
    assert book.risk.max_ratio == 0.5 and book.risk.min_orders == 5
    assert book.holidays == (date(2026, 10, 1),)
    assert book.review_lease_minutes == 15


def test_numbers_written_as_strings_are_read_as_numbers() -> None:
    """GIVEN "5" where a number of minutes belongs (hand-written JSON) THEN it counts as 5; a
    word still fails (below)."""
    book = build_policy_book('{"game_card": {"auto_approve_minutes": "5"}, "risk": {"max_ratio": "0.5"}}')
    assert book.for_type(T.GAME_CARD).auto_approve_minutes == 5
    assert book.risk.max_ratio == 0.5


@pytest.mark.parametrize("raw", ["", "   ", "{}"])
def test_empty_overrides_mean_defaults(raw: str) -> None:
    assert build_policy_book(raw) == build_policy_book()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"gift_card": {}}', "unknown product types"),
        ('{"game_card": {"auto_aprove_minutes": 5}}', "auto_aprove_minutes"),  # typo: extra forbidden
        ('{"game_card": {"payment_timeout_minutes": 0}}', "payment_timeout_minutes"),
        ('{"game_card": {"auto_approve_minutes": -1}}', "auto_approve_minutes"),
        ('{"game_card": {"auto_approve_minutes": 1441}}', "auto_approve_minutes"),
        ('{"game_card": {"auto_approve_minutes": "soon"}}', "auto_approve_minutes"),
        ('{"game_card": {"refund_sla": {"paypal": {"sla_minutes": 5}}}}', "paypal"),
        ('{"game_card": {"refund_sla": {"alipay": {"expected_minutes": 1}}}}', "exactly one"),
        (
            '{"game_card": {"refund_sla": {"alipay": {"sla_minutes": 5, "sla_business_days": 1}}}}',
            "exactly one",
        ),
        ('{"game_card": {"evidence": {"max_files": 50}}}', "max_files"),
        ('{"game_card": [1, 2]}', "must be an object"),
        ('{"risk": {"max_ratio": 0}}', "max_ratio"),
        ('{"holidays": ["tomorrow"]}', "holidays"),
        ("{not json", ""),
    ],
)
def test_invalid_overrides_are_refused_at_start_up(raw: str, fragment: str) -> None:
    """GIVEN a bad override THEN building the book raises a ValueError naming the problem."""
    with pytest.raises(ValueError) as e:
        build_policy_book(raw)
    assert fragment in str(e.value)


@pytest.fixture
def env_overrides(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    reset_settings()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


def test_environment_overrides_reach_the_settings(env_overrides: pytest.MonkeyPatch) -> None:
    """GIVEN CANCELFLOW_POLICY_OVERRIDES in the environment WHEN settings are read THEN the
    policy book carries them (one environment may shorten a window without a code change)."""
    env_overrides.setenv("CANCELFLOW_POLICY_OVERRIDES", '{"game_card": {"payment_timeout_minutes": 30}}')
    reset_settings()
    assert get_settings().policies.for_type(T.GAME_CARD).payment_timeout_minutes == 30
    assert get_settings().policies.for_type(T.MOBILE_TOPUP).payment_timeout_minutes == 15


def test_invalid_environment_overrides_fail_loudly(env_overrides: pytest.MonkeyPatch) -> None:
    """GIVEN a typo in the environment's overrides THEN reading the policies fails, not defaults."""
    env_overrides.setenv("CANCELFLOW_POLICY_OVERRIDES", '{"game_card": {"auto_approve": 5}}')
    reset_settings()
    with pytest.raises(ValueError):
        _ = get_settings().policies


def test_refund_sla_by_minutes_and_by_business_days() -> None:
    """GIVEN a start on Friday 10:00 CST THEN 60 min -> 11:00; 1/3 business days -> Mon/Wed 10:00."""
    start = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    minutes = RefundSla(sla_minutes=60)
    assert refund_sla.expected_at(minutes, start, PLAIN) == start
    assert refund_sla.due_at(minutes, start, PLAIN) == datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    bank = RefundSla(expected_business_days=1, sla_business_days=3)
    assert refund_sla.expected_at(bank, start, PLAIN) == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert refund_sla.due_at(bank, start, PLAIN) == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    # a holiday on Monday moves both by a day
    assert refund_sla.due_at(
        bank, start, BusinessCalendar(holidays=frozenset({date(2026, 11, 30)}))
    ) == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
