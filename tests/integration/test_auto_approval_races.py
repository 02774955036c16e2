"""Parallel auto-approvals of one customer, from different threads, on moto (docs/domain.md,
"Auto-approval" and "Risk").

GIVEN a customer with 10 orders today, 2 of them already asked to be cancelled (held under
review), and the other 8 paid inside the auto-approval window WHEN a request on each of the 8
is auto-approved at the same moment, on different threads THEN no more are approved than the
threshold allows one after the other (2/10 and 3/10 are not above 30 %, 4/10 is): the write
conditions on the day's count of requests it read, so a request counted since the read makes
it fail. Without that condition every thread reads 2/10 and all 8 are refunded at once.

The ``aws`` fixture makes each moto request atomic, as DynamoDB's are
(tests/integration/test_races.py): what races is the read and the conditional write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from cancelflow import aws
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Outcome, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.risk import RiskRules
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import customers, orders, payments, requests, stock
from cancelflow.store.codec import new_id

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, race, scan_all

PID = "p-auto-race"
CUSTOMER = "c-auto-race"
PAID_AT = NOW + timedelta(minutes=1)
ASKED = PAID_AT + timedelta(minutes=5)  # inside the window
REQUEST = Submission(action=Action.REQUEST)
RULES = RiskRules()  # 30 days, more than 30 %, at least 5 orders
ALLOWED = 2  # 2/10 and 3/10 are under the threshold, 4/10 is not


def _world() -> list[Order]:
    """10 orders of one customer: 2 under review (counted), 8 paid inside the window."""
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "自动批准竞速", "auto-approval race")
    stock.add_keys(PID, ((f"ak{i:02d}", f"CODE{i:02d}") for i in range(10)))
    aws.dynamodb()  # one client, created before the threads (boto3 clients are thread-safe)
    placed = []
    for _ in range(10):
        o = orders.create_order(CUSTOMER, PID, 1, NOW)
        placed.append(
            payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, PAID_AT).order
        )
    for o in placed[:2]:
        requests.open_for_review(orders.require_order(o.order_id), REQUEST, PAID_AT + timedelta(minutes=2))
    risk = customers.load_risk(CUSTOMER, ASKED, RULES.window_days)
    assert (risk.orders, risk.cancellation_requests, risk.high_risk(RULES)) == (10, 2, False)
    return placed[2:]


def _pairs(calls: list[Callable[[], object]]) -> list[tuple[Callable[[], object], Callable[[], object]]]:
    return [(calls[i], calls[i + 1]) for i in range(0, len(calls), 2)]


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")  # (by name only: ``aws`` here is cancelflow's client module)
def test_parallel_auto_approvals_at_the_store_stop_at_the_threshold() -> None:
    """Each thread reads the customer's risk, decides with the domain rule and writes with the
    counters it read (``orders.cancel_auto_approved``); the losers' writes are refused."""
    racing = _world()

    def approving(o: Order) -> Callable[[], object]:
        def go() -> object:
            risk = customers.load_risk(CUSTOMER, ASKED, RULES.window_days)
            if risk.high_risk(RULES):
                return "high-risk"
            return orders.cancel_auto_approved(o, REQUEST, new_id("rq"), ASKED, risk)

        return go

    results = [r for pair in race(_pairs([approving(o) for o in racing])) for r in pair]

    approved = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert all(isinstance(r, orders.RiskMoved) for r in refused), refused
    assert 1 <= len(approved) <= ALLOWED, Counter(type(r).__name__ for r in results)
    cancelled = [o for o in racing if orders.require_order(o.order_id).status is OrderStatus.CANCELLED]
    assert len(cancelled) == len(approved)
    risk = customers.load_risk(CUSTOMER, ASKED, RULES.window_days)
    assert risk.cancellation_requests == 2 + len(approved)  # each approved one counted, once
    check_invariants(scan_all())


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")
def test_parallel_requests_are_approved_as_if_one_after_the_other() -> None:
    """Through the use case: a request whose write lost to a parallel one decides again on the
    counters as stored, so exactly as many are auto-approved as one after the other would be,
    and the rest go to review."""
    racing = _world()

    def asking(o: Order) -> Callable[[], object]:
        return lambda: submit_cancellation.submit(CUSTOMER, o.order_id, REQUEST, ASKED)

    results = [r for pair in race(_pairs([asking(o) for o in racing])) for r in pair]

    outcomes = Counter(
        r.outcome if isinstance(r, submit_cancellation.SubmissionResult) else r for r in results
    )
    assert outcomes == {Outcome.REFUND_STARTED: ALLOWED, Outcome.UNDER_REVIEW: len(racing) - ALLOWED}
    risk = customers.load_risk(CUSTOMER, ASKED, RULES.window_days)
    assert risk.cancellation_requests == 2 + len(racing)
    check_invariants(scan_all())
