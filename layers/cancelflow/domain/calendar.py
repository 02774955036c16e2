"""China Standard Time and business days.

Times are stored and returned in UTC (RFC 3339, ``Z``). Deadlines shown to customers in China
Standard Time (the ``*_cst`` fields) and business-day arithmetic for bank refunds happen in
Asia/Shanghai, on China's official working calendar (the ``chinesecalendar`` package, which
carries the State Council's holiday notice of each year, make-up workdays included) with the
configured overrides on top (docs/domain.md, "Time and the business calendar").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

import msgspec

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset is the
# zone for every date this service handles, and it needs no time-zone database: ZoneInfo
# loaded tzdata's file on every cold start (about 3 ms).
CST = timezone(timedelta(hours=8), "CST")


def to_cst(t: datetime) -> datetime:
    return t.astimezone(CST)


# What every ``*_cst`` field of the API says about its format (answer models quote it).
CST_DESCRIPTION = (
    "the same instant in China Standard Time: ISO 8601 with its offset, to the second, "
    "e.g. 2026-12-02T02:44:00+08:00"
)


def cst_display(t: datetime) -> str:
    """A time as a customer in China reads it: ISO 8601 with its ``+08:00`` offset, to the
    second, e.g. ``2026-12-02T02:44:00+08:00``. Never zone-less, so a client can parse it back
    to the instant. The milliseconds are cut off, so a deadline shown is never later than the
    real one."""
    return to_cst(t).replace(microsecond=0).isoformat()


class _Official(msgspec.Struct, frozen=True):
    """The State Council's holiday notices the installed chinesecalendar has."""

    years: range  # the years the package has the State Council's notice for
    holidays: frozenset[date]  # days off, weekdays and weekends
    workdays: frozenset[date]  # weekend days worked (调休)


@cache
def _official() -> _Official:
    # Imported on first use, not with the module: only business-day arithmetic needs it (bank
    # refunds), and every function imports this module (the package costs ~2 ms more).
    import chinese_calendar

    days: dict[date, str] = chinese_calendar.holidays
    years = {d.year for d in days}
    return _Official(range(min(years), max(years) + 1), frozenset(days), frozenset(chinese_calendar.workdays))


def official_years() -> range:
    """The years China's official calendar is known for; outside them only weekends are off
    (``BusinessCalendar.unknown_year`` says when that matters)."""
    return _official().years


def official_business_day(d: date) -> bool | None:
    """Whether ``d`` is a working day by the State Council's notice; None for a year it is not
    known for."""
    o = _official()
    if d.year not in o.years:
        return None
    return d in o.workdays or (d.weekday() < 5 and d not in o.holidays)


# The State Council publishes the coming year's notice in November and ``chinesecalendar``
# follows within days; from this day of December on, a missing coming year is an operator's
# problem (the ``calendar_year_unknown`` alarm, docs/deploy.md).
NEXT_YEAR_DUE = (12, 15)


class BusinessCalendar(msgspec.Struct, frozen=True):
    """China's working calendar: Monday to Friday, minus the public holidays, plus the weekend
    days worked in exchange for a longer holiday (调休, e.g. a Sunday before National Day).

    ``holidays`` and ``workdays`` are overrides (the policy book's) on top of the official
    calendar: a day named in them is a day off, or a working day, whatever the notice says.
    ``official=False`` leaves the notice out: weekdays and the overrides only."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    official: bool = True

    def is_business_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        verdict = official_business_day(d) if self.official else None
        return d.weekday() < 5 if verdict is None else verdict

    def add_business_days(self, t: datetime, days: int) -> datetime:
        """``t`` moved forward by ``days`` business days in CST, keeping the time of day.

        A start on a weekend or holiday counts from the next business day's start (09:00 CST),
        as a bank would.
        """
        local = to_cst(t)
        if not self.is_business_day(local.date()):
            d = local.date()
            while not self.is_business_day(d):
                d += timedelta(days=1)
            local = datetime(d.year, d.month, d.day, 9, 0, tzinfo=CST)
        remaining = days
        while remaining > 0:
            local += timedelta(days=1)
            if self.is_business_day(local.date()):
                remaining -= 1
        return local.astimezone(UTC)

    def knows(self, year: int) -> bool:
        """Whether ``year``'s days off are known: the official notice as the package carries it,
        or the overrides name a holiday in it (an operator typed the notice in)."""
        return (self.official and year in official_years()) or any(d.year == year for d in self.holidays)

    def unknown_year(self, today: date) -> int | None:
        """The year whose days off should be known by ``today`` (China date) and are not: this
        year, and from 15 December the next. Until one of them is known bank refunds count only
        weekends as days off there, so their deadlines come early (flagged overdue too soon)."""
        due = [today.year] + ([today.year + 1] if (today.month, today.day) >= NEXT_YEAR_DUE else [])
        return next((y for y in due if not self.knows(y)), None)
