"""Claiming: priority order, one lease per task under contention, expiry, release."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from cancelflow import clock
from cancelflow.domain.options import Action
from cancelflow.domain.reasons import Reason
from cancelflow.errors import DomainError
from cancelflow.review import claims, tasks
from cancelflow.review.tasks import Reviewer
from cancelflow.store import history, orders

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake, stored_task


@pytest.fixture
def real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def test_claim_next_follows_domain_priority(make_request: Maker, review_queue: str) -> None:
    """GIVEN a mixed set: plain requests (one older, two of the same age with different amounts),
    a platform-fault appeal about delivered goods and a stop-delivery (the newest of all, whose
    abort fulfilment answered `delivered`)
    WHEN one reviewer claims one after another
    THEN urgent ones come first (earliest SLA first), then the rest by SLA, then larger amount.
    (One customer each: five requests of one customer's five orders would make them high-risk,
    and a strict review is a senior's, not r1's.)"""
    _, old = make_request(customer="c1", at=NOW - timedelta(minutes=20))
    _, small = make_request(customer="c2", at=NOW)
    _, big = make_request(customer="c3", at=NOW, quantity=3)
    # (a platform fault is urgent only about goods whose value moved: an appeal, not a request)
    _, fault = make_request(
        Action.APPEAL, customer="c4", reason=Reason.WRONG_ITEM, at=NOW + timedelta(minutes=5)
    )
    stop_order, stop = make_request(Action.STOP_DELIVERY, customer="c5", at=NOW + timedelta(minutes=10))
    intake(drain(review_queue))
    # fulfilment answers the stop's abort `delivered`: before that no reviewer is offered it
    orders.complete_delivery(stop_order, NOW + timedelta(minutes=10))
    order = [claims.claim_next(Reviewer("r1"), NOW + timedelta(minutes=11)).request_id for _ in range(5)]
    assert order == [fault, stop, old, big, small]
    with pytest.raises(DomainError) as e:
        claims.claim_next(Reviewer("r1"), NOW + timedelta(minutes=11))
    assert e.value.code == "NO_TASK_AVAILABLE"


def test_fifty_reviewers_twenty_tasks_each_leased_once(
    make_request: Maker, review_queue: str, real_clock: None
) -> None:
    """GIVEN 20 open tasks
    WHEN 50 reviewers call claim-next at the same time
    THEN 20 succeed with 20 different tasks, 30 find nothing, and each task has one holder;
    AND after the lease expires (clock advanced) the tasks are claimable again."""
    now = clock.now()
    for i in range(20):
        # one customer each: many requests of one customer would make them high-risk (senior-only)
        make_request(customer=f"c{i}", at=now - timedelta(minutes=30 - i))
    intake(drain(review_queue))

    def claim(i: int) -> str | None:
        try:
            return str(claims.claim_next(Reviewer(f"r{i:02d}"), clock.now()).task_id)
        except DomainError as e:
            assert e.code == "NO_TASK_AVAILABLE"
            return None

    with ThreadPoolExecutor(max_workers=50) as pool:
        got = list(pool.map(claim, range(50)))
    won = [t for t in got if t]
    assert len(won) == 20 and len(set(won)) == 20
    holders = Counter(tasks.get_task(t).lease_holder for t in won)
    assert len(holders) == 20 and set(holders.values()) == {1}

    clock.advance(timedelta(minutes=11))  # past the 10-minute lease
    again = claims.claim_next(Reviewer("late"), clock.now())
    assert again.task_id in won and tasks.get_task(again.task_id).lease_holder == "late"


def test_release_returns_task_and_is_on_the_timeline(make_request: Maker, review_queue: str) -> None:
    """GIVEN a task claimed by r1
    WHEN r2 tries to release it THEN 409 LEASE_NOT_HELD;
    WHEN r1 releases it THEN r2 can claim it; the first claim is on the order's timeline."""
    oid, _ = make_request()
    intake(drain(review_queue))
    t = claims.claim_next(Reviewer("r1"), NOW)
    with pytest.raises(DomainError) as e:
        claims.release(t.task_id, Reviewer("r2"), NOW)
    assert e.value.code == "LEASE_NOT_HELD"
    claims.release(t.task_id, Reviewer("r1"), NOW + timedelta(seconds=1))
    assert claims.claim_next(Reviewer("r2"), NOW + timedelta(seconds=2)).task_id == t.task_id
    events = [h.event for h in history.timeline(oid) if h.event.startswith("review.claimed")]
    assert events == ["review.claimed"]  # the first claim only: leases are reviewer-internal


def test_list_by_status(make_request: Maker, review_queue: str) -> None:
    """GIVEN three open tasks, one claimed
    WHEN listed by status THEN open shows the two unclaimed in priority order, claimed the one,
    and a page of one carries a cursor to the next."""
    for i in range(3):
        make_request(at=NOW + timedelta(minutes=i))
    intake(drain(review_queue))
    claimed = claims.claim_next(Reviewer("r1"), NOW)
    open_, _ = tasks.list_tasks("open", NOW)
    assert [stored_task(t.task_id)["status_sk"] for t in open_] == sorted(
        stored_task(t.task_id)["status_sk"] for t in open_
    )
    assert claimed.task_id not in {t.task_id for t in open_} and len(open_) == 2
    assert [t.task_id for t in tasks.list_tasks("claimed", NOW)[0]] == [claimed.task_id]
    page, cursor = tasks.list_tasks("open", NOW, limit=1)
    assert cursor is not None
    rest, _ = tasks.list_tasks("open", NOW, limit=5, cursor=cursor)
    assert [t.task_id for t in page + rest if t.task_id != claimed.task_id] == [t.task_id for t in open_]
