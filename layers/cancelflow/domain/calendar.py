"""China Standard Time and business days.

Times are stored and returned in UTC (RFC 3339, ``Z``). Deadlines shown to customers in China
Standard Time (the ``*_cst`` fields) and business-day arithmetic for bank refunds happen in
Asia/Shanghai, with a configurable holiday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


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
