"""What a decision does to the customer's count of cancellation requests (docs/domain.md,
"Risk"): a platform fault upheld by review is taken back, in the approval's own transaction;
a fault claim rejected, and any request with the customer's own reason, keeps counting."""

from __future__ import annotations

import pytest
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.reasons import Reason
from cancelflow.review import claims
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.store import customers, requests

from tests.store import world

FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
APPROVE = Decision(outcome="approve", checklist=FULL)
REJECT = Decision(outcome="reject", note="the stock was fine")


@pytest.mark.parametrize(
    ("reason", "decision", "counted"),
    [
        (Reason.STOCK_ERROR, APPROVE, 0),  # upheld platform fault: not the customer's cancellation
        (Reason.PROHIBITED_GOODS, APPROVE, 0),
        (Reason.STOCK_ERROR, REJECT, 1),  # a fault claimed and not upheld counts
        (Reason.CHANGED_MIND, APPROVE, 1),  # the customer's own reason counts, approved or not
    ],
    ids=["fault-approved", "prohibited-approved", "fault-rejected", "own-reason-approved"],
)
def test_an_upheld_platform_fault_is_taken_back_from_the_risk(
    product: str, reason: Reason, decision: Decision, counted: int
) -> None:
    """GIVEN a paid order's request under review (counted once on its day), claimed by r1
    WHEN r1 approves or rejects it THEN the count is what the rule says, and the request's day
    is the one that changed."""
    order, request = requests.open_for_review(
        world.paid(), Submission(action=Action.REQUEST, reason_code=reason), world.NOW
    )
    world.task_for(order, request)
    task = claims.claim_next(world.R1, world.later(1))
    assert customers.load_risk("c1", world.later(1), 30).cancellation_requests == 1
    decide(task.task_id, world.R1, decision, world.later(2))
    assert customers.load_risk("c1", world.later(3), 30).cancellation_requests == counted


def test_an_upheld_fault_on_delivered_goods_is_taken_back_too(product: str) -> None:
    """GIVEN a delivered order's appeal (invalid key) under review WHEN it is approved with a
    refund THEN the customer's count is back to none: the appeal path uncounts as the cancel
    path does."""
    order, request = requests.open_for_review(
        world.delivered(),
        Submission(action=Action.APPEAL, reason_code=Reason.INVALID_KEY, evidence=("e.png",)),
        world.NOW,
    )
    world.task_for(order, request)
    task = claims.claim_next(world.R1, world.later(1))
    decide(task.task_id, world.R1, APPROVE, world.later(2))
    assert customers.load_risk("c1", world.later(3), 30).cancellation_requests == 0
