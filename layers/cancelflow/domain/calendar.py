"""China Standard Time and business days (DOMAIN.md, "Time").

Times are stored in UTC; deadlines shown to customers and business-day arithmetic for bank
refunds happen in Asia/Shanghai, with a configurable holiday calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


def to_cst(t: datetime) -> datetime:
    return t.astimezone(CST)


def cst_display(t: datetime) -> str:
    """A deadline as a customer reads it, e.g. ``2026-11-27 10:42``."""
    return to_cst(t).strftime("%Y-%m-%d %H:%M")


def is_business_day(d: date, holidays: Iterable[date] = ()) -> bool:
    return d.weekday() < 5 and d not in set(holidays)


def add_business_days(t: datetime, days: int, holidays: Iterable[date] = ()) -> datetime:
    """``t`` moved forward by ``days`` business days in CST, keeping the time of day.

    A start on a weekend or holiday counts from the next business day's start (09:00 CST),
    as a bank would.
    """
    hol = set(holidays)
    local = to_cst(t)
    if not is_business_day(local.date(), hol):
        d = local.date()
        while not is_business_day(d, hol):
            d += timedelta(days=1)
        local = datetime(d.year, d.month, d.day, 9, 0, tzinfo=CST)
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        if is_business_day(local.date(), hol):
            remaining -= 1
    return local.astimezone(UTC)
