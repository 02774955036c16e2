"""A reviewer's decision against the customer's withdrawal of the same request, from different
threads, on moto (docs/domain.md, "Withdrawal").

GIVEN 40 paid orders, each held by a request under review whose task its own reviewer has
leased WHEN for each the reviewer decides (approve for half, reject for the other half) and the
customer withdraws at the same moment, on different threads THEN for every order exactly one
wins: the other is refused with its code (the decision REQUEST_WITHDRAWN, the withdrawal
REQUEST_NOT_PENDING), and what is stored is exactly the winner's outcome: the request, the task,
the order's hold and state, its refund, and the customer's count of requests. The ``aws``
fixture makes each moto request atomic, as DynamoDB's are (tests/integration/test_races.py), so
what races is what races in production: requests interleaving between one call's reads and its
conditional write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from cancelflow import aws
from cancelflow.cancel import withdraw_request
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.review import intake
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.review.tasks import Reviewer
from cancelflow.store import customers, orders, payments, requests, stock, tasks

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, race, scan_all

N = 40
PID = "p-withdraw-race"
PAID_AT = NOW + timedelta(minutes=1)
ASKED = PAID_AT + timedelta(minutes=30)  # after the auto-approval window: reviewed
RACE = ASKED + timedelta(minutes=5)
FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
APPROVE = Decision(outcome="approve", checklist=FULL)
REJECT = Decision(outcome="reject", note="the account details were correct")


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("aws")  # (by name only: ``aws`` here is cancelflow's client module)
def test_a_decision_and_a_withdrawal_race_to_exactly_one_outcome() -> None:
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "撤回竞速", "withdraw race")
    stock.add_keys(PID, ((f"wk{i:03d}", f"CODE{i:03d}") for i in range(N)))
    aws.dynamodb()  # one client, created before the threads (boto3 clients are thread-safe)
    cases = []
    for i in range(N):
        o = orders.create_order(f"cw{i}", PID, 1, NOW)
        payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, PAID_AT)
        held, request = requests.open_for_review(
            orders.require_order(o.order_id), Submission(action=Action.REQUEST), ASKED
        )
        assert intake.accept(requests.review_message(request, held), ASKED)
        task = tasks.get(tasks.task_id_for(request.request_id, "cancellation"))
        reviewer = Reviewer(f"rw{i}")
        assert tasks.lease(task, reviewer, ASKED, RACE + timedelta(minutes=10)) is not None
        cases.append((o.order_id, request.request_id, task.task_id, reviewer, APPROVE if i % 2 else REJECT))

    def deciding(task_id: str, who: Reviewer, d: Decision) -> Callable[[], object]:
        return lambda: decide(task_id, who, d, RACE)

    def withdrawing(i: int, oid: str, rid: str) -> Callable[[], object]:
        return lambda: withdraw_request.withdraw(f"cw{i}", oid, rid, RACE)

    results = race(
        [(deciding(tid, who, d), withdrawing(i, oid, rid)) for i, (oid, rid, tid, who, d) in enumerate(cases)]
    )

    winners: Counter[str] = Counter()
    for i, ((oid, rid, tid, _, d), (decided, withdrawn)) in enumerate(zip(cases, results, strict=True)):
        order, request, task = orders.require_order(oid), requests.get_request(oid, rid), tasks.get(tid)
        counted = customers.load_risk(f"cw{i}", RACE, 30).cancellation_requests
        assert not order.held
        if isinstance(withdrawn, DomainError):  # the decision won
            assert not isinstance(decided, DomainError), (decided, withdrawn)
            assert withdrawn.code is ErrorCode.REQUEST_NOT_PENDING, withdrawn
            assert task.status is tasks.DECIDED and counted == 1
            if d is APPROVE:
                assert (request.status, order.status, order.refunded_amount) == (
                    requests.APPROVED,
                    OrderStatus.CANCELLED,
                    order.amount,
                )
                winners["approved"] += 1
            else:
                assert (request.status, order.status, order.rejection is not None) == (
                    requests.REJECTED,
                    OrderStatus.PAID,
                    True,
                )
                winners["rejected"] += 1
        else:  # the withdrawal won
            assert isinstance(decided, DomainError), decided
            assert decided.code is ErrorCode.REQUEST_WITHDRAWN, decided
            assert (request.status, task.status, order.status) == (
                requests.WITHDRAWN,
                tasks.WITHDRAWN,
                OrderStatus.PAID,
            )
            assert (order.refunded_amount, order.rejection, counted) == (0, None, 0)
            winners["withdrawn"] += 1
    assert sum(winners.values()) == N, winners
    check_invariants(scan_all())
