"""Decisions: what approve, reject and need_info do to the order, its stock, refunds and timeline;
only the lease holder decides; appeals against a rejection go to another senior."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import answer_question
from cancelflow.cancel.appeal_rejection import appeal
from cancelflow.clock import iso
from cancelflow.domain.options import Action
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.review import claims, tasks
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.store import ddb, history, keys, orders, requests, stock

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake, stored_task

FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
R1, S1, S2 = Reviewer("r1"), Reviewer("s1", senior=True), Reviewer("s2", senior=True)
T1 = NOW + timedelta(minutes=1)


def _claim(queue: str, who: Reviewer = R1, at: Any = NOW) -> Task:
    intake(drain(queue))
    return claims.claim_next(who, at)


def _snapshot(order_id: str, task_id: str) -> tuple[Any, ...]:
    """Everything a decision could change, as stored: every attribute of the order, the task,
    the requests and the timeline entries (index attributes included)."""
    pk = keys.order_pk(order_id)
    order = ddb.get(pk, keys.ORDER)
    return order, stored_task(task_id), ddb.partition(pk, "REQ#"), ddb.partition(pk, "HIST#")


def _stored_request(order_id: str, request_id: str) -> dict[str, Any]:
    item = ddb.get(keys.order_pk(order_id), keys.request_sk(request_id))
    assert item is not None
    return item


def _refund_messages(env: dict[str, str]) -> list[str]:
    return [json.loads(b)["refund_id"] for b in drain(env["CANCELFLOW_REFUND_QUEUE_URL"])]


def test_approve_cancels_releases_stock_refunds_and_lifts_hold(
    make_request: Maker, review_queue: str, aws: dict[str, str], catalog: dict[str, str]
) -> None:
    """GIVEN a paid order with two keys reserved and a cancel request claimed by r1
    WHEN r1 approves with the full checklist
    THEN in one go: order cancelled by the reviewer, keys available again, hold lifted, a full
    refund created and handed to the refund queue, request decided and out of the due index."""
    oid, rid = make_request(quantity=2)
    t = _claim(review_queue)
    out = decide(t.task_id, R1, Decision(outcome="approve", checklist=FULL), T1)
    assert out["outcome"] == "approved" and out["order_status"] == "cancelled"
    order = orders.require_order(oid)
    assert order.cancelled_by and order.cancelled_by.value == "reviewer" and order.open_request_id is None
    assert order.refunded_amount == order.paid_amount == 20000
    assert {k.status for k in stock.product_keys(catalog["game_card"])} == {"available"}
    assert _refund_messages(aws) == [out["refund_id"]]
    refund = ddb.get(keys.refund_pk(out["refund_id"]), "REFUND")
    assert refund is not None and refund["amount"] == 20000 and refund["request_id"] == rid
    req = requests.get_request(oid, rid)
    assert req.status == "approved" and "due_pk" not in _stored_request(oid, rid)
    assert stored_task(t.task_id)["status_pk"] == "REVIEW#decided"
    events = [h.event for h in history.timeline(oid)]
    assert {"order.cancelled", "review.decided", "review.task_created", "review.claimed"} <= set(events)
    # the answer shows the task exactly as stored, without reading it back
    assert out["task"] == tasks.view(tasks.get_task(t.task_id), T1)


def test_approve_without_full_checklist_changes_nothing(make_request: Maker, review_queue: str) -> None:
    """GIVEN a claimed task WHEN approved with one check missing THEN 422 and nothing changes."""
    oid, _ = make_request()
    t = _claim(review_queue)
    before = _snapshot(oid, t.task_id)
    partial = Checklist(order_status_verified=True, evidence_judged=True)
    with pytest.raises(DomainError) as e:
        decide(t.task_id, R1, Decision(outcome="approve", checklist=partial), T1)
    assert (e.value.code, e.value.status) == ("CHECKLIST_INCOMPLETE", 422)
    assert e.value.details["missing"] == ["refund_path_confirmed"]
    assert _snapshot(oid, t.task_id) == before


@pytest.mark.parametrize("who,at", [(Reviewer("r2"), T1), (R1, NOW + timedelta(minutes=11))])
def test_decision_without_live_lease_is_409_and_changes_nothing(
    make_request: Maker, review_queue: str, who: Reviewer, at: Any
) -> None:
    """GIVEN a task claimed by r1 at NOW (10-minute lease)
    WHEN another reviewer decides, or r1 decides after the lease expired
    THEN 409 LEASE_NOT_HELD and the order, task, request and timeline are unchanged."""
    oid, _ = make_request()
    t = _claim(review_queue)
    before = _snapshot(oid, t.task_id)
    for outcome in ("approve", "reject"):
        with pytest.raises(DomainError) as e:
            decide(t.task_id, who, Decision(outcome=outcome, checklist=FULL, note="不符合条件"), at)
        assert (e.value.code, e.value.status) == ("LEASE_NOT_HELD", 409)
    assert _snapshot(oid, t.task_id) == before


def test_reject_lifts_hold_so_delivery_goes_on(make_request: Maker, review_queue: str) -> None:
    """GIVEN a held order WHEN its request is rejected with a reason
    THEN the hold is lifted (delivery can start), the request records who rejected and why."""
    oid, rid = make_request()
    t = _claim(review_queue)
    with pytest.raises(DomainError) as e:
        decide(t.task_id, R1, Decision(outcome="reject"), T1)
    assert e.value.details["field"] == "note"
    decide(t.task_id, R1, Decision(outcome="reject", note="已超过可取消时间"), T1)
    req = requests.get_request(oid, rid)
    assert (req.status, req.rejected_by, req.decision_note) == ("rejected", "r1", "已超过可取消时间")
    assert orders.start_delivery(oid, T1 + timedelta(minutes=1)).status is OrderStatus.DELIVERING
    with pytest.raises(DomainError) as again:
        decide(t.task_id, R1, Decision(outcome="reject", note="x"), T1)
    assert again.value.code == "TASK_ALREADY_DECIDED"


def test_need_info_pauses_sla_until_the_customer_answers(make_request: Maker, review_queue: str) -> None:
    """GIVEN a task due at 03:00, claimed
    WHEN the reviewer asks for more at 02:20 and the customer answers at 05:00
    THEN meanwhile the task waits (not claimable) and the order stays held; after the answer it
    is open again, due 40 minutes after the answer, and the one appeal is still unused."""
    oid, rid = make_request()
    asked = NOW + timedelta(minutes=20)
    t = _claim(review_queue, at=asked - timedelta(minutes=5))
    waiting = decide(t.task_id, R1, Decision(outcome="need_info", note="请上传付款截图"), asked)
    assert waiting["task"] == tasks.view(tasks.get_task(t.task_id), asked)  # as stored
    assert tasks.get_task(t.task_id).status == tasks.WAITING
    with pytest.raises(DomainError):
        claims.claim_next(R1, asked)
    assert orders.require_order(oid).open_request_id == rid
    answered = NOW + timedelta(hours=3)
    # the answer has its own route now (issue 13): the appeal route refuses it
    with pytest.raises(DomainError) as e:
        appeal("c1", oid, rid, "截图已上传", ("evidence/c1/pay.png",), RefundTo.ORIGINAL, answered)
    assert e.value.code == "INFO_REQUESTED"
    out = answer_question.answer("c1", oid, rid, "截图已上传", ("evidence/c1/pay.png",), answered)
    assert out["kind"] == "info_supplied"
    task = tasks.get_task(t.task_id)
    assert task.status == tasks.OPEN and task.decision_due == "2026-11-27T05:40:00.000Z"
    assert list(task.evidence) == ["evidence/c1/pay.png"]
    req = requests.get_request(oid, rid)
    assert req.due_at is not None
    assert (req.status, req.appeal_used, iso(req.due_at)) == ("under_review", False, task.decision_due)
    assert claims.claim_next(R1, answered).task_id == t.task_id
    assert "review.info_supplied" in [h.event for h in history.timeline(oid)]


def test_appeal_partial_refund_without_cancelling(
    make_request: Maker, review_queue: str, aws: dict[str, str]
) -> None:
    """GIVEN a delivered order (10000 paid) with an appeal for an invalid key
    WHEN approved with refund_amount 3000 (after one attempt above what is refundable)
    THEN a 3000 refund is created, the order stays delivered and is no longer held."""
    oid, _ = make_request(Action.APPEAL, reason=Reason.INVALID_KEY)
    t = _claim(review_queue)
    with pytest.raises(DomainError) as e:
        decide(t.task_id, R1, Decision(outcome="approve", checklist=FULL, refund_amount=10001), T1)
    assert e.value.code == "AMOUNT_INVALID"
    out = decide(t.task_id, R1, Decision(outcome="approve", checklist=FULL, refund_amount=3000), T1)
    order = orders.require_order(oid)
    assert (order.status, order.refunded_amount, order.open_request_id) == (OrderStatus.DELIVERED, 3000, None)
    assert out["order_status"] == "delivered" and _refund_messages(aws) == [out["refund_id"]]


def test_stop_delivery_completed_meanwhile_becomes_appeal(make_request: Maker, review_queue: str) -> None:
    """GIVEN a stop-delivery task whose delivery then completes (fulfilment's `delivered` answer
    to the abort; before it no reviewer is offered the task) WHEN a reviewer claims and approves
    THEN the order is not cancelled: the task turns into an appeal (lease kept), and approving
    that refunds without cancelling."""
    oid, _ = make_request(Action.STOP_DELIVERY, reason=Reason.WRONG_INFO)
    intake(drain(review_queue))
    orders.complete_delivery(oid, T1)
    t = claims.claim_next(R1, T1)
    out = decide(t.task_id, R1, Decision(outcome="approve", checklist=FULL), T1)
    assert out["outcome"] == "converted_to_appeal"
    assert orders.require_order(oid).status is OrderStatus.DELIVERED
    assert tasks.get_task(t.task_id).action == "appeal"
    done = decide(t.task_id, R1, Decision(outcome="approve", checklist=FULL), T1 + timedelta(seconds=5))
    assert done["outcome"] == "approved" and done["order_status"] == "delivered"
    assert "review.converted_to_appeal" in [h.event for h in history.timeline(oid)]


def test_rejection_appeal_goes_to_another_senior(
    make_request: Maker, review_queue: str, aws: dict[str, str]
) -> None:
    """GIVEN a request rejected by senior s1, appealed once with refund to balance
    THEN a second appeal is refused; ordinary reviewers and s1 can neither claim nor decide it
    (403); s2 claims and approves it and the refund goes to the balance."""
    oid, rid = make_request()
    t = _claim(review_queue, S1)
    decide(t.task_id, S1, Decision(outcome="reject", note="理由不充分"), T1)
    later = T1 + timedelta(minutes=5)
    out = appeal("c1", oid, rid, "我确实重复下单了,请再看看", (), RefundTo.BALANCE, later)
    assert out["kind"] == "rejection_appeal" and orders.require_order(oid).open_request_id == rid
    with pytest.raises(DomainError) as twice:
        appeal("c1", oid, rid, "再次申诉", (), RefundTo.BALANCE, later)
    assert twice.value.code == "APPEAL_NOT_ALLOWED"
    intake(drain(review_queue))
    task_id = out["task_id"]
    for who in (R1, S1):
        with pytest.raises(DomainError) as none:
            claims.claim_next(who, later)
        assert none.value.code == "NO_TASK_AVAILABLE"
        with pytest.raises(DomainError) as denied:
            decide(task_id, who, Decision(outcome="approve", checklist=FULL), later)
        assert (denied.value.code, denied.value.status) == ("FORBIDDEN", 403)
    assert claims.claim_next(S2, later).task_id == task_id
    done = decide(task_id, S2, Decision(outcome="approve", checklist=FULL), later)
    refund = ddb.get(keys.refund_pk(done["refund_id"]), "REFUND")
    assert refund is not None and refund["channel"] == "balance"
    assert orders.require_order(oid).status is OrderStatus.CANCELLED


def test_customer_cannot_appeal_anothers_request(make_request: Maker, review_queue: str) -> None:
    """GIVEN c1's rejected request WHEN c2 appeals it THEN ORDER_NOT_FOUND (never revealed)."""
    oid, rid = make_request()
    t = _claim(review_queue)
    decide(t.task_id, R1, Decision(outcome="reject", note="不符合"), T1)
    with pytest.raises(DomainError) as e:
        appeal("c2", oid, rid, "text", (), RefundTo.ORIGINAL, T1)
    assert e.value.code == "ORDER_NOT_FOUND"
