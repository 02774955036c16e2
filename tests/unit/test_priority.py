"""Review priority: urgent (stop-delivery, escalation, a platform fault about delivered goods)
first, then the time left to the SLA, then the amount; one string key whose text order is the
review order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cancelflow.domain.priority import NORMAL, URGENT, priority_class, priority_key
from cancelflow.domain.reasons import Reason
from cancelflow.domain.states import OrderStatus as S
from hypothesis import given
from hypothesis import strategies as st

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_priority_class() -> None:
    assert priority_class("stop_delivery", Reason.CHANGED_MIND, S.DELIVERING) == URGENT
    # a platform fault counts only about goods whose value moved (the customer's word alone
    # on an undelivered order earns no priority)
    assert priority_class("request", Reason.INVALID_KEY, S.PAID) == NORMAL
    assert priority_class("appeal", Reason.WRONG_ITEM, S.DELIVERED) == URGENT
    assert priority_class("request", Reason.CHANGED_MIND, S.PAID, escalated=True) == URGENT
    assert priority_class("request", Reason.CHANGED_MIND, S.PAID) == NORMAL
    assert priority_class("after_sales", Reason.OTHER, S.COMPLETED) == NORMAL


def test_review_order() -> None:
    """GIVEN tasks of both classes, SLAs and amounts WHEN sorted by key THEN urgent first, then
    the earliest SLA, then the larger amount."""
    tasks = {
        "normal-early-small": (NORMAL, T0, 100),
        "urgent-late": (URGENT, T0 + timedelta(hours=2), 1),
        "normal-early-big": (NORMAL, T0, 900_000),
        "urgent-early": (URGENT, T0, 1),
        "normal-late": (NORMAL, T0 + timedelta(minutes=1), 10**9),
    }
    ordered = sorted(tasks, key=lambda t: priority_key(*tasks[t], t))
    assert ordered == ["urgent-early", "urgent-late", "normal-early-big", "normal-early-small", "normal-late"]


task = st.tuples(
    st.sampled_from([URGENT, NORMAL]),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC, microsecond=d.microsecond // 1000 * 1000)
    ),
    st.integers(min_value=0, max_value=10**11),
    st.from_regex(r"tk_[0-9a-f]{20}", fullmatch=True),
)


@given(a=task, b=task)
def test_key_order_equals_tuple_order(a: tuple, b: tuple) -> None:  # type: ignore[type-arg]
    """For any two tasks, comparing keys as text = comparing (class, SLA, -amount, id)."""

    def rank(t: tuple) -> tuple:  # type: ignore[type-arg]
        return (t[0], t[1], -t[2], t[3])

    ka, kb = priority_key(*a), priority_key(*b)
    assert (ka < kb) == (rank(a) < rank(b))
    assert (ka == kb) == (rank(a) == rank(b))
