"""Business days in China Standard Time with a holiday calendar, and how a CST time is shown.

GIVEN UTC instants WHEN business days are added THEN weekends, holidays, make-up working days
(调休) and the CST date (not the UTC date) decide, and the time of day is kept. The arithmetic
is tested on calendars without the official notice (``official=False``: only the days a test
names), the official calendar and the overrides on top of it at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from cancelflow.domain.calendar import (
    BusinessCalendar,
    cst_display,
    official_business_day,
    official_years,
    to_cst,
)
from cancelflow.domain.policy import build_policy_book

# National Day 2026: Thursday 1 October to Wednesday 7 October.
NATIONAL_DAY = tuple(date(2026, 10, 1) + timedelta(days=i) for i in range(7))
PLAIN = BusinessCalendar(official=False)
HOLIDAYS = BusinessCalendar(holidays=frozenset(NATIONAL_DAY), official=False)
add_business_days = PLAIN.add_business_days
is_business_day = PLAIN.is_business_day


def cst(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    """A CST wall-clock time as the UTC instant we store."""
    return datetime(y, m, d, h, mi, tzinfo=UTC) - timedelta(hours=8)


def test_fixed_offset_is_asia_shanghai_on_every_day() -> None:
    # GIVEN the IANA zone database's Asia/Shanghai (tzdata, a dev dependency only)
    # WHEN every day from 1992 to 2100 is taken at noon and at 00:30 UTC
    # THEN CST's fixed +08:00 says what the zone says: the same offset, date and wall time
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    day, end = datetime(1992, 1, 1, 0, 30, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)
    while day < end:
        for t in (day, day + timedelta(hours=11, minutes=30)):
            assert to_cst(t).replace(tzinfo=None) == t.astimezone(zone).replace(tzinfo=None), t
            assert to_cst(t).utcoffset() == t.astimezone(zone).utcoffset() == timedelta(hours=8), t
        day += timedelta(days=1)


def test_display_is_cst() -> None:
    # shape changed with issue 13: ISO 8601 with the +08:00 offset (was "2026-11-27 10:00")
    assert cst_display(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)) == "2026-11-27T10:00:00+08:00"
    assert to_cst(datetime(2026, 11, 27, 20, 30, tzinfo=UTC)).date() == date(2026, 11, 28)


def test_cst_times_are_iso_8601_with_their_offset() -> None:
    """GIVEN a UTC instant with milliseconds WHEN shown in China Standard Time THEN ISO 8601 to
    the second with its +08:00 offset (never a zone-less string), naming the same instant up to
    the second cut off, so a deadline shown is never later than the real one."""
    t = datetime(2026, 12, 1, 18, 44, 0, 999000, tzinfo=UTC)
    shown = cst_display(t)
    assert shown == "2026-12-02T02:44:00+08:00"
    parsed = datetime.fromisoformat(shown)
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parsed <= t and t - parsed < timedelta(seconds=1)


def test_weekends_and_holidays_are_not_business_days() -> None:
    assert is_business_day(date(2026, 11, 27))  # Friday
    assert not is_business_day(date(2026, 11, 28))  # Saturday
    assert not is_business_day(date(2026, 11, 29))  # Sunday
    assert not HOLIDAYS.is_business_day(date(2026, 10, 1))  # a Thursday holiday
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
    assert HOLIDAYS.add_business_days(start, 3) == cst(2026, 10, 12, 16)
    assert HOLIDAYS.add_business_days(cst(2026, 10, 3, 12), 1) == cst(2026, 10, 9, 9)


def test_a_make_up_working_day_counts() -> None:
    """GIVEN National Day with Saturday 10 October worked instead (调休) WHEN 3 business days are
    added from Wednesday 30 September THEN Thursday 8, Friday 9 and Saturday 10 October count."""
    worked = BusinessCalendar(
        holidays=frozenset(NATIONAL_DAY), workdays=frozenset({date(2026, 10, 10)}), official=False
    )
    assert worked.is_business_day(date(2026, 10, 10))
    assert not worked.is_business_day(date(2026, 10, 11))
    assert worked.add_business_days(cst(2026, 9, 30, 16), 3) == cst(2026, 10, 10, 16)


def test_the_policy_book_carries_the_calendar() -> None:
    """GIVEN holidays and workdays in the overrides THEN the book's calendar has both, and a
    weekday named as a workday, or a day that is both, is refused."""
    book = build_policy_book({"holidays": ["2026-10-01"], "workdays": ["2026-10-10"]})
    assert book.calendar == BusinessCalendar(frozenset({date(2026, 10, 1)}), frozenset({date(2026, 10, 10)}))
    with pytest.raises(ValueError, match="weekend"):
        build_policy_book({"workdays": ["2026-10-09"]})  # a Friday
    with pytest.raises(ValueError, match="both"):
        build_policy_book({"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]})


def test_the_default_calendar_is_the_official_one() -> None:
    """GIVEN no overrides THEN the State Council's 2026 notice decides: National Day (1–7
    October) and Mid-autumn (25 September) are off, Saturday 10 October is worked (调休), so a
    bank refund started Wednesday 30 September is due 3 business days later on that Saturday
    (Thursday 8, Friday 9, Saturday 10)."""
    official = BusinessCalendar()
    assert not official.is_business_day(date(2026, 10, 1)) and not official.is_business_day(date(2026, 9, 25))
    assert official.is_business_day(date(2026, 10, 10))  # a Saturday, worked
    assert official.is_business_day(date(2026, 11, 27)) and not official.is_business_day(date(2026, 11, 28))
    assert official.add_business_days(cst(2026, 9, 30, 16), 3) == cst(2026, 10, 10, 16)


def test_overrides_go_on_top_of_the_official_calendar() -> None:
    """GIVEN a company holiday on an ordinary Friday and a make-up Saturday declared off again
    THEN both are days off; GIVEN an official holiday named as a workday THEN it is worked; the
    other official days are unchanged."""
    cal = BusinessCalendar(
        holidays=frozenset({date(2026, 11, 27), date(2026, 10, 10)}), workdays=frozenset({date(2026, 10, 3)})
    )
    assert not cal.is_business_day(date(2026, 11, 27)) and not cal.is_business_day(date(2026, 10, 10))
    assert cal.is_business_day(date(2026, 10, 3))
    assert not cal.is_business_day(date(2026, 10, 2)) and cal.is_business_day(date(2026, 11, 26))


def test_a_year_without_official_data_has_only_weekends_off() -> None:
    """GIVEN a year after the package's last THEN no official verdict, and weekdays count."""
    later = date(official_years().stop + 1, 10, 1)
    assert official_business_day(later) is None
    assert BusinessCalendar().is_business_day(later) is (later.weekday() < 5)


def test_the_calendar_says_which_year_it_should_know_and_does_not() -> None:
    """GIVEN the last year the package knows (L) THEN nothing is missing on 14 December of L; from
    15 December L+1 is (the notice is out by then); in L+1 itself L+1; and once the overrides
    name a holiday of L+1 it counts as known. A calendar without the notice knows only what its
    overrides name. (The refund schedule turns this into the calendar_year_unknown alarm:
    tests/schedules/test_refund_sweeps.py.)"""
    last = official_years()[-1]
    official = BusinessCalendar()
    assert official.unknown_year(date(last, 12, 14)) is None
    assert official.unknown_year(date(last, 12, 15)) == last + 1
    assert official.unknown_year(date(last + 1, 3, 1)) == last + 1
    typed_in = BusinessCalendar(holidays=frozenset({date(last + 1, 1, 1)}))
    assert typed_in.unknown_year(date(last, 12, 31)) is None and typed_in.knows(last + 1)
    assert typed_in.unknown_year(date(last + 1, 12, 15)) == last + 2
    assert BusinessCalendar(official=False).unknown_year(date(last, 6, 1)) == last
