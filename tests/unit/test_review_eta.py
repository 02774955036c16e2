"""The queue-aware review estimate: grows with the queue, never beyond the SLA, the SLA when
the decision rate is unknown."""

from datetime import UTC, datetime, timedelta

import pytest
from cancelflow.domain.review_eta import FLOOR, expected_review_by

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = NOW + timedelta(minutes=60)


def test_grows_with_the_queue():
    times = [expected_review_by(NOW, ahead, 30, DUE) for ahead in (0, 3, 6, 9)]
    assert times == sorted(times)
    assert times[0] < times[1] < times[2]


def test_rate_and_queue_give_the_estimate():
    # 30 decisions an hour is one per 2 minutes; 4 ahead plus this one is 10 minutes.
    assert expected_review_by(NOW, 4, 30, DUE) == NOW + timedelta(minutes=10)


def test_never_beyond_the_sla():
    for ahead in (0, 10, 100, 10_000):
        for rate in (1, 5, 60):
            assert expected_review_by(NOW, ahead, rate, DUE) <= DUE
    assert expected_review_by(NOW, 10_000, 1, DUE) == DUE


def test_an_urgent_due_is_its_own_ceiling():
    urgent_due = NOW + timedelta(minutes=15)
    assert expected_review_by(NOW, 50, 10, urgent_due) == urgent_due


def test_no_recent_decisions_means_the_sla():
    assert expected_review_by(NOW, 0, 0, DUE) == DUE
    assert expected_review_by(NOW, 40, 0, DUE) == DUE


def test_floor_on_an_empty_fast_queue():
    assert expected_review_by(NOW, 0, 600, DUE) == NOW + FLOOR


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        expected_review_by(NOW, -1, 5, DUE)
