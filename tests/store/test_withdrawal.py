"""Withdrawal (docs/domain.md, "Withdrawal"): a customer takes back a request before its
decision, in one transaction against what is stored: the request withdrawn, the order's hold
lifted, the task closed (out of every list, the reviewer's next step refused), the request's
count towards the customer's risk taken back. A decision and a withdrawal racing are decided by
whichever write lands first (the interleavings below; threads: tests/integration)."""

from __future__ import annotations

from typing import Any

import pytest
from cancelflow.cancel import appeal_rejection, submit_cancellation, withdraw_request
from cancelflow.domain.options import Action, Outcome, Submission
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.review import claims, decisions, intake, tasks
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.settings import get_settings
from cancelflow.store import customers, history, orders, request_changes, requests, review_decisions

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item, unchanged
from tests.store.world import R1, R2, S1

FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
APPROVE = Decision(outcome="approve", checklist=FULL)
REJECT = Decision(outcome="reject", note="bought on purpose")
ASK = Decision(outcome="need_info", note="which account?")
T1, T2, T11 = world.later(1), world.later(2), world.later(11)


def _requests_counted(at: Any = T1) -> int:
    return customers.load_risk("c1", at, get_settings().policies.risk.window_days).cancellation_requests


def _listed(task_id: str) -> list[str]:
    """Every list a reviewer (or the console) reads that shows the task."""
    return [s for s in tasks.STATUSES if any(t.task_id == task_id for t in tasks.list_tasks(s, T2, 100)[0])]


def _refusal(fn: Any) -> tuple[ErrorCode, dict[str, Any]]:
    with pytest.raises(DomainError) as e:
        fn()
    return e.value.code, e.value.details


def test_a_withdrawal_lifts_the_hold_closes_the_task_and_is_not_counted(product: str) -> None:
    """GIVEN a paid order held by a request whose task r1 has claimed WHEN the customer withdraws
    it THEN in one go: the request is withdrawn and out of the review due index, the order is
    paid and no longer held (and can be delivered), the task is withdrawn, out of every list and
    no longer leased, the request no longer counts towards the customer's risk, and the timeline
    says request.withdrawn; r1's decision and release, and the next claim, are refused."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    assert (_requests_counted(), _listed(task.task_id)) == (1, ["claimed"])

    done = withdraw_request.withdraw("c1", oid, rid, T1)

    assert (done.order.held, done.order.status, done.task_id) == (False, OrderStatus.PAID, task.task_id)
    assert done.request.status is requests.WITHDRAWN
    order = item(world.order_key(oid))
    assert "open_request_id" not in order and order["version"] == w["order"].version + 1
    req = item(world.request_key(oid, rid))
    assert (req["status"], req["withdrawn_at"]) == ("withdrawn", "2026-11-27T02:01:00.000Z")
    assert "due_pk" not in req and "due_at" not in req
    stored_task = item(world.task_key(task.task_id))
    assert (stored_task["status"], stored_task["status_pk"]) == ("withdrawn", "REVIEW#withdrawn")
    assert not {"lease_holder", "lease_until", "lease_senior"} & set(stored_task)
    assert stored_task["version"] == task.version + 1
    assert _listed(task.task_id) == [] and _requests_counted() == 0
    last = history.timeline(oid)[-1]
    assert (last.event, last.actor, last.actor_id, last.from_status, last.to_status) == (
        history.HistoryEvent.REQUEST_WITHDRAWN,
        Actor.CUSTOMER,
        "c1",
        OrderStatus.PAID,
        OrderStatus.PAID,
    )
    assert (last.detail["request_id"], last.detail["task_id"], last.detail["action"]) == (
        rid,
        task.task_id,
        "request",
    )

    # the reviewer who held the lease: every next step is refused, nothing written
    with unchanged(world.order_key(oid), world.request_key(oid, rid), world.task_key(task.task_id)):
        assert _refusal(lambda: decide(task.task_id, R1, APPROVE, T2))[0] is ErrorCode.REQUEST_WITHDRAWN
        assert _refusal(lambda: decide(task.task_id, R1, REJECT, T2))[0] is ErrorCode.REQUEST_WITHDRAWN
        assert _refusal(lambda: claims.release(task.task_id, R1, T2))[0] is ErrorCode.REQUEST_WITHDRAWN
        assert _refusal(lambda: claims.claim_next(R2, T2))[0] is ErrorCode.NO_TASK_AVAILABLE
    # the order goes on: delivered once its cooling-off has passed
    assert orders.start_delivery(oid, T11).status is OrderStatus.DELIVERING


def test_a_request_waiting_for_an_answer_can_be_withdrawn(product: str) -> None:
    """GIVEN a request whose reviewer asked a question (need_info, task waiting) WHEN withdrawn
    THEN the task leaves the waiting list, the hold lifts, and answering is no longer possible."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    decide(task.task_id, R1, ASK, T1)
    assert _listed(task.task_id) == ["waiting_customer"]
    withdraw_request.withdraw("c1", oid, rid, T2)
    assert _listed(task.task_id) == [] and not orders.require_order(oid).held
    assert item(world.task_key(task.task_id))["status"] == "withdrawn"
    assert requests.get_request(oid, rid).status is requests.WITHDRAWN


def test_a_stop_delivery_waiting_for_fulfilment_cannot_be_withdrawn(product: str) -> None:
    """GIVEN a delivering order held by a stop-delivery, its abort asked of fulfilment WHEN its
    customer withdraws THEN it is refused (ABORT_PENDING: only fulfilment's answer settles it),
    nothing changes, and the store's own condition refuses the same write; fulfilment's
    `delivered` answer still completes the delivery (docs/domain.md, "Stop delivery")."""
    o, request = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    held = orders.require_order(o.order_id)
    assert held.abort_requested_at is not None
    with pytest.raises(DomainError) as e:
        withdraw_request.withdraw("c1", o.order_id, request.request_id, T2)
    assert e.value.code is ErrorCode.ABORT_PENDING
    with pytest.raises(DomainError):
        request_changes.withdraw(held, request, None, T2)
    assert orders.require_order(o.order_id) == held
    done = orders.complete_delivery(o.order_id, T2)
    assert (done.status, done.held, done.abort_requested_at) == (OrderStatus.DELIVERED, True, None)


def test_a_request_intake_has_not_seen_is_withdrawn_and_never_gets_a_task(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a request whose message intake has not handled WHEN withdrawn THEN no task is named,
    and intake makes none afterwards: neither from the message, nor when its read of the request
    was made before the withdrawal and its write comes after (the write checks the request)."""
    o, request = world.held(world.paid(), T1)
    msg = requests.review_message(request, o)
    seen = customers.read_request_with_risk(o.order_id, request.request_id, "c1", T1, 30)  # intake's read
    done = withdraw_request.withdraw("c1", o.order_id, request.request_id, T2)
    assert done.task_id is None
    task_id = tasks.task_id_for(request.request_id, "cancellation")
    assert intake.accept(msg, T2) is False  # reads the request withdrawn
    monkeypatch.setattr(intake.customers, "read_request_with_risk", lambda *a: seen)
    assert intake.accept(msg, T2) is False  # read it pending; its write finds it withdrawn
    with pytest.raises(DomainError) as e:
        tasks.get_task(task_id)
    assert e.value.code is ErrorCode.TASK_NOT_FOUND


def test_a_task_made_after_the_withdrawals_read_makes_it_conflict(product: str) -> None:
    """GIVEN a withdrawal that read no task WHEN intake made the task before its write THEN the
    withdrawal is refused (CONFLICT, nothing written): a task is never left open for nobody."""
    o, request = world.held(world.paid(), T1)
    req = requests.get_request(o.order_id, request.request_id)
    task = world.task_for(o, request, T1)
    keys = [
        world.order_key(o.order_id),
        world.request_key(o.order_id, req.request_id),
        world.task_key(task.task_id),
    ]
    with unchanged(*keys), pytest.raises(DomainError) as e:
        request_changes.withdraw(o, req, None, T2)
    assert e.value.code is ErrorCode.CONFLICT


@pytest.mark.parametrize("decision", [APPROVE, REJECT])
def test_a_decided_request_cannot_be_withdrawn(product: str, decision: Decision) -> None:
    """GIVEN a request approved or rejected WHEN its customer withdraws it THEN 409
    REQUEST_NOT_PENDING naming its status, nothing written."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    decide(task.task_id, R1, decision, T1)
    with unchanged(world.order_key(oid), world.request_key(oid, rid), world.task_key(task.task_id)):
        code, details = _refusal(lambda: withdraw_request.withdraw("c1", oid, rid, T2))
    status = "approved" if decision is APPROVE else "rejected"
    assert (code, details) == (ErrorCode.REQUEST_NOT_PENDING, {"request_id": rid, "status": status})


def test_withdrawn_once_auto_approved_or_not_the_customers(product: str) -> None:
    """GIVEN a withdrawn request, an auto-approved one, another customer's order and an unknown
    request WHEN withdrawn (again) THEN REQUEST_NOT_PENDING, REQUEST_NOT_PENDING, ORDER_NOT_FOUND,
    REQUEST_NOT_FOUND."""
    o, request = world.held(world.paid(), T1)
    withdraw_request.withdraw("c1", o.order_id, request.request_id, T2)
    again = _refusal(lambda: withdraw_request.withdraw("c1", o.order_id, request.request_id, T2))
    assert again == (ErrorCode.REQUEST_NOT_PENDING, {"request_id": request.request_id, "status": "withdrawn"})
    other = world.paid()
    auto = submit_cancellation.submit("c1", other.order_id, Submission(action=Action.REQUEST), T1)
    assert requests.get_request(other.order_id, auto.request_id).status is requests.AUTO_APPROVED
    refused = _refusal(lambda: withdraw_request.withdraw("c1", other.order_id, auto.request_id, T2))
    assert refused == (
        ErrorCode.REQUEST_NOT_PENDING,
        {"request_id": auto.request_id, "status": "auto_approved"},
    )
    assert _refusal(lambda: withdraw_request.withdraw("c2", o.order_id, request.request_id, T2))[0] is (
        ErrorCode.ORDER_NOT_FOUND
    )
    unknown = _refusal(lambda: withdraw_request.withdraw("c1", o.order_id, "rq_000000000000000000ff", T2))
    assert unknown[0] is ErrorCode.REQUEST_NOT_FOUND


def test_a_withdrawal_that_lands_first_refuses_the_decision_in_flight(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN r1 deciding its leased task, having read the task, request and order WHEN the
    customer's withdrawal commits between that read and r1's write THEN r1's write is refused
    by its own conditions and r1 is told REQUEST_WITHDRAWN; the withdrawal stands."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    real = review_decisions.for_decision

    def read_then_withdrawn(t: Any) -> Any:
        read = real(t)
        withdraw_request.withdraw("c1", oid, rid, T1)
        return read

    monkeypatch.setattr(decisions.review_decisions, "for_decision", read_then_withdrawn)
    assert _refusal(lambda: decide(task.task_id, R1, APPROVE, T1))[0] is ErrorCode.REQUEST_WITHDRAWN
    order = orders.require_order(oid)
    assert (order.status, order.held, order.refunded_amount) == (OrderStatus.PAID, False, 0)
    assert requests.get_request(oid, rid).status is requests.WITHDRAWN
    assert item(world.task_key(task.task_id))["status"] == "withdrawn"


def test_a_decision_that_lands_first_refuses_the_withdrawal_in_flight(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the customer withdrawing, having read the order, request and task WHEN r1's
    rejection commits between that read and the withdrawal's write THEN the withdrawal is
    refused by its own conditions with REQUEST_NOT_PENDING (rejected); the rejection stands and
    the request still counts."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    real = request_changes.withdraw

    def decided_first(*args: Any) -> Any:
        decide(task.task_id, R1, REJECT, T1)
        return real(*args)

    monkeypatch.setattr(withdraw_request.request_changes, "withdraw", decided_first)
    code, details = _refusal(lambda: withdraw_request.withdraw("c1", oid, rid, T1))
    assert (code, details["status"]) == (ErrorCode.REQUEST_NOT_PENDING, "rejected")
    order = orders.require_order(oid)
    assert (order.held, order.rejection is not None) == (False, True)
    assert item(world.task_key(task.task_id))["status"] == "decided"
    assert _requests_counted() == 1


def test_an_appeal_against_a_rejection_can_be_withdrawn(product: str) -> None:
    """GIVEN a rejected request appealed (held again, a senior's task) WHEN withdrawn THEN the hold
    lifts, the appeal's task closes and the senior's claim finds nothing; the rejection stands."""
    w = world.claimed()
    oid, rid, task = w["order"].order_id, w["request"].request_id, w["task"]
    decide(task.task_id, R1, REJECT, T1)
    appeal_rejection.appeal("c1", oid, rid, "I never asked for it", (), RefundTo.ORIGINAL, T1)
    req = requests.get_request(oid, rid)
    assert intake.accept(requests.review_message(req, orders.require_order(oid)), T1)
    done = withdraw_request.withdraw("c1", oid, rid, T2)
    assert done.task_id == tasks.task_id_for(rid, "rejection_appeal")
    assert not done.order.held and done.order.rejection is not None
    assert _refusal(lambda: claims.claim_next(S1, T2))[0] is ErrorCode.NO_TASK_AVAILABLE


def test_withdrawn_requests_never_count_towards_the_risk(aws: dict[str, str]) -> None:
    """GIVEN a customer with 5 orders and 2 cancellation requests (40 %: high-risk) WHEN one
    request is withdrawn THEN 1 of 5 counts (20 %): not high-risk any more, so the next request
    inside the window is auto-approved again; the other, decided request still counts."""
    world.add_product(n_keys=6)
    rules = get_settings().policies.risk
    placed = [world.paid(NOW) for _ in range(5)]
    _, first = world.held(placed[0], T1)
    _, second = world.held(placed[1], T1)
    risk = customers.load_risk("c1", T1, rules.window_days)
    assert (risk.orders, risk.cancellation_requests, risk.high_risk(rules)) == (5, 2, True)
    withdraw_request.withdraw("c1", placed[1].order_id, second.request_id, T2)
    risk = customers.load_risk("c1", T2, rules.window_days)
    assert (risk.orders, risk.cancellation_requests, risk.high_risk(rules)) == (5, 1, False)
    assert requests.get_request(placed[0].order_id, first.request_id).status is requests.UNDER_REVIEW
    third = submit_cancellation.submit("c1", placed[2].order_id, Submission(action=Action.REQUEST), T2)
    assert third.outcome is Outcome.REFUND_STARTED  # auto-approved: the customer is not high-risk
