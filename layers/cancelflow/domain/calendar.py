"""China Standard Time and business days (DOMAIN.md, "Time").

Times are stored in UTC; deadlines shown to customers and business-day arithmetic for bank
refunds happen in Asia/Shanghai, with a configurable holiday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def to_cst(t: datetime) -> datetime:
    return t.astimezone(CST)


def cst_display(t: datetime) -> str:
    """A deadline as a customer reads it, e.g. ``2026-11-27 10:42``."""
    return to_cst(t).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class BusinessCalendar:
    """China's working calendar: Monday to Friday, minus the public holidays, plus the weekend
    days worked in exchange for a longer holiday (调休, e.g. a Sunday before National Day)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_business_day(self, d: date) -> bool:
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

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
