"""Stop-delivery as a handshake with fulfilment (docs/domain.md, "Stop delivery"), at the store
and use-case level: the ask written with the hold, the `aborted` and `delivered` answers, the
refusals while the answer waits, and the review sweep asking again."""

from __future__ import annotations

import pytest
from cancelflow.clock import iso
from cancelflow.domain.options import Action
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.platform import abort_answer
from cancelflow.platform.fulfil_order import FulfilmentStep, fulfil
from cancelflow.review import claims, sla, tasks
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.store import history, orders, requests

from tests.store import world
from tests.store.guard import item
from tests.store.world import R1

T1, T2, T7, T13 = world.later(1), world.later(2), world.later(7), world.later(13)
APPROVE = Decision(
    outcome="approve",
    checklist=Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True),
)


def _events(order_id: str) -> list[str]:
    return [e.event for e in history.timeline(order_id)]


def test_a_stop_asks_fulfilment_with_the_hold_and_is_due_with_its_answer(product: str) -> None:
    """GIVEN a delivering order WHEN its customer asks to stop THEN the hold, the abort and the
    `delivery.abort_requested` entry are written together, and the request is due when the
    answer is (abort_answer_minutes, 5), not at the review's 60 minutes."""
    o, request = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    assert (o.held, o.abort_requested_at) == (True, T1)
    assert "delivery.abort_requested" in _events(o.order_id)
    assert request.due_at == world.later(6)


def test_a_paid_orders_request_asks_nothing_of_fulfilment(product: str) -> None:
    """GIVEN a paid order (delivery not started) WHEN a request holds it THEN no abort is asked."""
    o, _ = world.held(world.paid(), T1)
    assert o.abort_requested_at is None and "delivery.abort_requested" not in _events(o.order_id)


def test_aborted_cancels_refunds_quarantines_and_closes_the_task(product: str) -> None:
    """GIVEN a stop whose task waits for fulfilment WHEN a reviewer asks for the next task THEN
    it is passed by (nothing to decide yet); WHEN fulfilment
    answers `aborted` THEN the order is cancelled by the platform with its full refund, its key
    quarantined, the request approved by fulfilment, the task decided; a second `aborted`
    changes nothing."""
    o, request = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    task = world.task_for(o, request, T1)
    assert task.abort_asked_at == iso(T1)
    with pytest.raises(DomainError) as e:
        claims.claim_next(R1, T2)
    assert e.value.code is ErrorCode.NO_TASK_AVAILABLE
    oid = o.order_id
    done = abort_answer.aborted(oid, None, T2)
    assert (done.status, done.cancelled_by, done.held) == (OrderStatus.CANCELLED, Actor.PLATFORM, False)
    assert done.abort_requested_at is None and done.refunded_amount == done.amount
    assert item(world.stock_key(done.key_ids[0]))["status"] == "quarantined"
    assert requests.get_request(oid, request.request_id).status is requests.APPROVED
    assert tasks.get_task(task.task_id).status == tasks.DECIDED
    assert abort_answer.aborted(oid, None, T7) == done
    with pytest.raises(DomainError):
        decide(task.task_id, R1, APPROVE, T7)


def test_a_stop_answered_delivered_is_claimed_and_decided_as_an_appeal(product: str) -> None:
    """GIVEN a stop's task passed by while fulfilment answers WHEN fulfilment completes the
    delivery (the `delivered` answer) THEN the next claim leases that task and a reviewer decides
    it."""
    o, request = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    task = world.task_for(o, request, T1)
    orders.complete_delivery(o.order_id, T2)
    leased = claims.claim_next(R1, T2)
    assert leased.task_id == task.task_id
    assert decide(task.task_id, R1, APPROVE, T2)["outcome"] == "converted_to_appeal"


def test_a_fail_while_the_abort_waits_is_the_aborted_answer(product: str) -> None:
    """GIVEN a stop waiting for fulfilment WHEN fulfilment reports `fail` THEN it is the
    `aborted` answer: cancelled and refunded, never back to paid."""
    o, _ = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    out = fulfil(o.order_id, FulfilmentStep.FAIL, "upstream down", T2)
    assert out.status is OrderStatus.CANCELLED and out.refunded_amount == o.amount


def test_complete_while_the_abort_waits_is_the_delivered_answer(product: str) -> None:
    """GIVEN a stop waiting for fulfilment WHEN fulfilment completes THEN the order is delivered,
    still held by the request (reviewed as an appeal), the abort over, and the entry says it was
    the `delivered` answer."""
    o, _ = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    done = orders.complete_delivery(o.order_id, T2)
    assert (done.status, done.held, done.abort_requested_at) == (OrderStatus.DELIVERED, True, None)
    completed = [e for e in history.timeline(o.order_id) if e.event == "delivery.completed"]
    assert completed[-1].detail["abort_answer"] == "delivered"


def test_aborted_for_an_order_nobody_asked_to_stop_is_refused(product: str) -> None:
    """GIVEN a delivering order with no stop WHEN fulfilment answers `aborted` THEN it is refused
    (ABORT_NOT_REQUESTED) and the order is unchanged."""
    o = world.delivering()
    with pytest.raises(DomainError) as e:
        abort_answer.aborted(o.order_id, None, T1)
    assert e.value.code is ErrorCode.ABORT_NOT_REQUESTED
    assert orders.require_order(o.order_id) == o


def test_the_sweep_escalates_an_unanswered_abort_and_asks_again(product: str) -> None:
    """GIVEN a stop whose task exists WHEN its answer is overdue (6 minutes) THEN the sweep
    escalates the task (reason abort_unanswered) and writes the ask again; the next ask is due
    abort_answer_minutes later."""
    o, request = world.held(world.delivering(), T1, Action.STOP_DELIVERY)
    task = world.task_for(o, request, T1)
    assert sla.escalate_overdue(request, T7) is True
    asks = [e for e in history.timeline(o.order_id) if e.event == "delivery.abort_requested"]
    assert [a.detail["again"] for a in asks] == [False, True]
    escalated = [e for e in history.timeline(o.order_id) if e.event == "review.escalated"]
    assert escalated[-1].reason == "abort_unanswered"
    assert tasks.get_task(task.task_id).escalated is True
    again = requests.get_request(o.order_id, request.request_id)
    assert again.due_at == world.later(12)
    assert sla.escalate_overdue(again, T13) is True  # escalated already: asked again only
    assert len([e for e in history.timeline(o.order_id) if e.event == "delivery.abort_requested"]) == 3
