"""Business days in China Standard Time with a holiday calendar (DOMAIN.md, "Time").

GIVEN UTC instants WHEN business days are added THEN weekends, holidays and the CST date (not
the UTC date) decide, and the time of day is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cancelflow.domain.calendar import add_business_days, cst_display, is_business_day, to_cst

# National Day 2026: Thursday 1 October to Wednesday 7 October.
NATIONAL_DAY = tuple(date(2026, 10, 1) + timedelta(days=i) for i in range(7))


def cst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A CST wall-clock time as the UTC instant we store."""
    return datetime(y, m, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


def test_display_is_cst() -> None:
    assert cst_display(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)) == "2026-11-27 10:00"
    assert to_cst(datetime(2026, 11, 27, 20, 30, tzinfo=UTC)).date() == date(2026, 11, 28)


def test_weekends_and_holidays_are_not_business_days() -> None:
    assert is_business_day(date(2026, 11, 27))  # Friday
    assert not is_business_day(date(2026, 11, 28))  # Saturday
    assert not is_business_day(date(2026, 11, 29))  # Sunday
    assert not is_business_day(date(2026, 10, 1), NATIONAL_DAY)  # a Thursday holiday
    assert is_business_day(date(2026, 10, 1))


def test_adding_business_days_skips_the_weekend_and_keeps_the_time() -> None:
    fri = cst(2026, 11, 27, 10, 42)
    assert add_business_days(fri, 0) == fri
    assert add_business_days(fri, 1) == cst(2026, 11, 30, 10, 42)  # Monday
    assert add_business_days(fri, 3) == cst(2026, 12, 2, 10, 42)  # Wednesday
    assert add_business_days(cst(2026, 11, 23), 5) == cst(2026, 11, 30)  # Monday + 5 = next Monday


def test_a_start_on_a_weekend_counts_from_monday_morning() -> None:
    """GIVEN Saturday 15:00 CST WHEN +1 business day THEN Tuesday 09:00 (Monday 09:00 is day 0)."""
    assert add_business_days(cst(2026, 11, 28, 15), 0) == cst(2026, 11, 30, 9)
    assert add_business_days(cst(2026, 11, 28, 15), 1) == cst(2026, 12, 1, 9)


def test_the_cst_date_decides_not_the_utc_date() -> None:
    """GIVEN Friday 17:00 UTC (= Saturday 01:00 CST) THEN it is a weekend start."""
    fri_utc = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert add_business_days(fri_utc, 1) == cst(2026, 12, 1, 9)


def test_holiday_calendar_over_national_day() -> None:
    """GIVEN a bank refund started Wednesday 30 Sept WHEN 3 business days are added over the
    National Day week THEN it is due Monday 12 October (1–7 Oct holidays, 10–11 Oct a weekend)."""
    start = cst(2026, 9, 30, 16)
    assert add_business_days(start, 3) == cst(2026, 10, 5, 16)  # without the calendar
    assert add_business_days(start, 3, NATIONAL_DAY) == cst(2026, 10, 12, 16)
    assert add_business_days(cst(2026, 10, 3, 12), 1, NATIONAL_DAY) == cst(2026, 10, 9, 9)
